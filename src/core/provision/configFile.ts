/**
 * The text of `.axiom.json`: its schema (zod) and the parser that reports each problem with file,
 * line and key. Its own module because zod is most of a bundle: `repoConfig.ts` loads it only when a
 * `.axiom.json` is there to read, and the CLI gets it as its own bundle, `dist/config-schema.js`
 * (esbuild.mjs; ARCHITECTURE §2.3). It throws nothing (problems are returned as text), so no error
 * class crosses from that bundle into another.
 */
import { findNodeAtLocation, parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { z } from 'zod';
import {
  CONFIG_FILE,
  DEFAULT_EVALUATION_TIMEOUT_SEC,
  DEFAULT_PORT_RANGE,
  DEFAULT_SETUP_TIMEOUT_SECONDS,
  MAX_PORTS,
  SCORE_DIRECTIONS,
  SHARE_MODES,
} from '../choices';

const commands = (what: string) =>
  z
    .union([z.string(), z.array(z.string())])
    .optional()
    .meta({
      description: `Command lines run in the instance's worktree ${what}, in order, each by the shell (/bin/sh -c; cmd.exe on Windows). The instance's variables (AXIOM_INSTANCE_ID, AXIOM_PORT, …) are in the environment.`,
    });

/** The file's shape. It is also the JSON schema VS Code validates `.axiom.json` with (schemas/axiom.schema.json). */
export const CONFIG_SCHEMA = z
  .strictObject({
    $schema: z.string().optional(),
    include: z.array(z.string()).optional().meta({
      description:
        'Git-ignored files to copy from the main worktree into each new instance (gitignore syntax, relative to the repository root). A file is copied only when it matches AND git ignores it; tracked files are never copied or overwritten.',
      markdownDescription:
        'Git-ignored files to copy from the main worktree into each new instance — gitignore syntax, relative to the repository root, e.g. `[".env", "config/*.local.json"]`. A file is copied only when it matches **and** git ignores it; tracked files are never copied or overwritten. Patterns in `.worktreeinclude` are added.',
    }),
    share: z
      .record(
        z.string(),
        z.enum(SHARE_MODES).meta({
          enumDescriptions: [
            'Copy-on-write clone (reflink) where the filesystem supports it, else a plain copy.',
            'Hard-linked files: fast and small, but an in-place edit of a file shows in every worktree.',
            "One symbolic link to the main worktree's folder: instant, but everything the instance changes there changes for all.",
            'Do not share (e.g. to switch off a shared folder with git config).',
          ],
        }),
      )
      .optional()
      .meta({
        description:
          'Git-ignored folders (or files) of the main worktree to provide in each instance, e.g. {"node_modules": "hardlink"}.',
        markdownDescription:
          'Git-ignored folders (or files) of the main worktree to provide in each instance, e.g. `{"node_modules": "hardlink", ".venv": "symlink"}`. `clone`: copy-on-write where the filesystem can, else a copy; `hardlink`: hard-linked files (an in-place edit shows everywhere); `symlink`: one link to the main worktree\'s folder (changes are shared); `none`.',
      }),
    setup: commands('after it is created, before the agent starts'),
    teardown: commands('before cleanup removes it (a failing teardown refuses the cleanup unless forced)'),
    ports: z.number().int().min(0).max(MAX_PORTS).optional().meta({
      description:
        'How many free TCP ports to lease to each instance (one block, unique among live instances on this machine): AXIOM_PORT is the first, AXIOM_PORTS all of them, PORT = AXIOM_PORT unless already set.',
    }),
    portRange: z
      .string()
      .regex(/^\d{1,5}-\d{1,5}$/)
      .optional()
      .meta({
        description: `Ports are leased from this range, e.g. "4100-4999" (the default is ${DEFAULT_PORT_RANGE.join('-')}).`,
      }),
    env: z.record(z.string(), z.string()).optional().meta({
      description:
        'Extra environment of the agent, setup, teardown and terminal. Placeholders: {id}, {worktree}, {base}, {port}, {port+N}, {ports}.',
      markdownDescription:
        'Extra environment of the agent, setup, teardown and terminal, e.g. `{"DATABASE_URL": "postgres://localhost/app_{id}"}`. Placeholders: `{id}`, `{worktree}`, `{base}`, `{port}`, `{port+N}`, `{ports}`.',
    }),
    setupTimeout: z
      .number()
      .int()
      .min(1)
      .max(86_400)
      .optional()
      .meta({
        description: `Seconds each setup or teardown command may run before it is stopped and counted as failed (default ${DEFAULT_SETUP_TIMEOUT_SECONDS}).`,
      }),
    // Explore and land (issue 10): how an instance's work is judged.
    evaluate: z
      .union([
        z.string(),
        z.strictObject({
          command: z.string().meta({ description: 'The evaluation command.' }),
          score: z.enum(SCORE_DIRECTIONS).optional().meta({ description: 'Which AXIOM_SCORE is better (default higher).' }),
          timeoutSec: z.number().int().min(1).max(86_400).optional().meta({ description: `Seconds before the evaluation is stopped and counted as failed (default ${DEFAULT_EVALUATION_TIMEOUT_SEC}).` }),
        }),
      ])
      .optional()
      .meta({
        description:
          'The evaluation command run in an instance\'s worktree (a race member when its agent finishes, or on demand): exit 0 = passed; the last stdout line AXIOM_SCORE=<number> is its score. Split into arguments without a shell; {prompt}, {id}, {worktree} fill whole arguments.',
        markdownDescription:
          'The evaluation command run in an instance\'s worktree (a race member when its agent finishes, or on demand), e.g. `"npm test"` or `{"command": "npm run bench", "score": "lower", "timeoutSec": 600}`. Exit 0 = passed; the last stdout line `AXIOM_SCORE=<number>` is its score. Split into arguments **without a shell**; `{prompt}`, `{id}`, `{worktree}` fill whole arguments.',
      }),
    // The search (issue 18): how each child's prompt is built.
    search: z
      .strictObject({
        prompt: z.string().min(1).optional().meta({
          description:
            "The template of the prompt each child of a search gets. Placeholders: {task}, {passed}, {score}, {feedback} (what the parent's evaluation said), {diffstat}.",
        }),
      })
      .optional()
      .meta({ description: 'Settings of axiom search.' }),
  })
  // allowComments / allowTrailingCommas: VS Code's JSON language service reads them from the schema.
  .meta({
    title: 'Axiom Worktrees: worktree configuration (.axiom.json)',
    allowComments: true,
    allowTrailingCommas: true,
  });

export type ConfigFile = z.infer<typeof CONFIG_SCHEMA>;

/** The JSON schema shipped in the extension (`schemas/axiom.schema.json`), generated from {@link CONFIG_SCHEMA}. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(CONFIG_SCHEMA, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
}

function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `${line}:${offset - before.lastIndexOf('\n')}`;
}

/** Parses the text of `.axiom.json`; problems are collected, not thrown. */
export function parseConfigText(
  text: string,
  file = CONFIG_FILE,
): { config: ConfigFile; errors: string[]; warnings: string[] } {
  const parseErrors: ParseError[] = [];
  const tree = parseTree(text, parseErrors, { allowTrailingComma: true, disallowComments: false });
  if (parseErrors.length > 0 || !tree) {
    const errors = parseErrors.map(
      (e) => `${file}:${lineCol(text, e.offset)}: ${printParseErrorCode(e.error)}`,
    );
    return {
      config: {},
      errors: errors.length ? errors : [`${file}: empty file (write {} for no configuration)`],
      warnings: [],
    };
  }
  if (tree.type !== 'object')
    return { config: {}, errors: [`${file}: the file must hold one JSON object ({ … })`], warnings: [] };
  // Evaluated from the tree so comments and trailing commas are accepted exactly as the parser did.
  const value = nodeValue(tree);
  const result = CONFIG_SCHEMA.safeParse(value);
  if (result.success) return { config: result.data, errors: [], warnings: [] };
  const errors: string[] = [];
  const warnings: string[] = [];
  const known = Object.keys(CONFIG_SCHEMA.shape).join(', ');
  for (const issue of result.error.issues) {
    const at = (p: readonly PropertyKey[]): string => {
      const node = findNodeAtLocation(
        tree,
        p.map((k) => (typeof k === 'number' ? k : String(k))),
      );
      return `${file}:${node ? lineCol(text, node.offset) : '1:1'}`;
    };
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys)
        warnings.push(
          `${at([...issue.path, key])}: unknown key ${JSON.stringify(key)} is ignored (known: ${known})`,
        );
      continue;
    }
    const where = issue.path.length ? issue.path.map(String).join('.') : '(top level)';
    errors.push(`${at(issue.path)}: ${where}: ${issue.message}`);
  }
  const config = errors.length === 0 ? (z.object(CONFIG_SCHEMA.shape).parse(value) as ConfigFile) : {};
  return { config, errors, warnings };
}

type JsonNode = NonNullable<ReturnType<typeof parseTree>>;
function nodeValue(node: JsonNode): unknown {
  switch (node.type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const prop of node.children ?? []) {
        const [k, v] = prop.children ?? [];
        if (k && v) out[String(k.value)] = nodeValue(v);
      }
      return out;
    }
    case 'array':
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value;
  }
}

