/**
 * Shell completion generated from the verb table: `axiom completion bash|zsh|fish` prints a script
 * completing verbs, options and fixed values; instance ids, race, search and salvage names come from
 * the hidden `axiom __complete <kind>`, which reads the worktrees' metadata files and the refs with
 * one git process and prints one name a line. It never fails loudly: any problem prints nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EXIT, type CliIO, type Completion, type CompletionKind, type OptionSpec, type Verb } from './context';
import { GLOBAL_OPTIONS } from './help';
import type { GitRunner } from '../core';
import { commandLine } from '../core/processes/shellQuote';
import { backend } from './lazy';

export const COMPLETION_KINDS: readonly CompletionKind[] = ['instance', 'race', 'search', 'salvage', 'verb'];
export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];
/** Completion runs while the user types: read-only, and given up after 5 s rather than hang the shell. */
const COMPLETION_TIMEOUT_MS = 5000;

/** git's output, or '' on any failure (completion prints nothing rather than an error). */
async function gitOut(git: GitRunner, cwd: string, args: string[]): Promise<string> {
  try {
    return (await git.run(cwd, args, { readOnly: true, signal: AbortSignal.timeout(COMPLETION_TIMEOUT_MS) })).stdout;
  } catch {
    return '';
  }
}

/** The names of one kind in the repository at `where`, sorted and unique; [] on any problem. */
export async function completionNames(kind: CompletionKind, where: string, verbs: Record<string, Verb>): Promise<string[]> {
  if (kind === 'verb') return Object.keys(verbs);
  // rev-parse and for-each-ref read no index and run no filter, so no repository program starts even
  // in a repository the user just cloned: untrusted mode's extra config read per folder is not needed.
  const git = new (backend().GitRunner)();
  const common = (await gitOut(git, where, ['rev-parse', '--path-format=absolute', '--git-common-dir'])).trim();
  if (!common) return [];
  let names: string[];
  if (kind === 'instance') {
    names = (await backend().readAdminEntries(common)).flatMap((e) => (e.metadata ? [e.metadata.id] : []));
  } else {
    const { RACE_REF_PREFIX, SEARCH_REF_PREFIX, SALVAGE_PREFIX } = backend();
    const prefix = kind === 'race' ? RACE_REF_PREFIX : kind === 'search' ? SEARCH_REF_PREFIX : SALVAGE_PREFIX;
    const refs = (await gitOut(git, common, ['for-each-ref', '--format=%(refname)', prefix])).split('\n').filter(Boolean);
    // A race or search is named by the first part after its prefix (`<prefix><name>/…`); a salvage ref by the whole ref.
    names = kind === 'salvage' ? refs : refs.map((r) => r.slice(prefix.length).split('/')[0]!).filter(Boolean);
  }
  return [...new Set(names)].sort();
}

/** `axiom __complete <kind> [-C <path>]`: the names, one a line; nothing (exit 0) on any problem. */
export async function complete(argv: string[], io: CliIO, verbs: Record<string, Verb>): Promise<number> {
  try {
    const kind = argv[0] as CompletionKind;
    if (!COMPLETION_KINDS.includes(kind)) return EXIT.ok;
    const c = argv[1] === '-C' ? argv[2] : undefined;
    const where = c !== undefined ? path.resolve(io.cwd ?? '/', c) : io.cwd;
    if (where === null || !fs.existsSync(where)) return EXIT.ok;
    const names = await completionNames(kind, where, verbs);
    if (names.length) io.out(names.join('\n') + '\n');
  } catch {
    /* completion must never print an error into the user's command line */
  }
  return EXIT.ok;
}

/** The command a completion script runs to reach this installation (the same Node and cli.js). */
export function selfCommand(): string[] {
  const script = path.join(__dirname, 'cli.js');
  return fs.existsSync(script) ? [process.execPath, script] : ['axiom'];
}

function flag(name: string): string {
  return name.length === 1 ? `-${name}` : `--${name}`;
}

/** Every option a verb accepts (its own and the global ones). */
function optionsOf(verb: Verb): [string, OptionSpec][] {
  return [...Object.entries(verb.options), ...Object.entries(GLOBAL_OPTIONS)];
}

// ---- bash (zsh uses it through bashcompinit) ----

function bashWords(c: Completion | undefined, self: string): string {
  if (c === undefined) return '';
  if (typeof c !== 'string') return `COMPREPLY=($(compgen -W ${bashQuote(c.join(' '))} -- "$cur"))`;
  return `COMPREPLY=($(compgen -W "$(${self} __complete ${c} \${cdir:+-C "$cdir"} 2>/dev/null)" -- "$cur"))`;
}

function bashQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function bashScript(verbs: Record<string, Verb>, self = selfCommand()): string {
  const run = commandLine(self);
  const verbCases = Object.entries(verbs).map(([name, verb]) => {
    const options = optionsOf(verb);
    const valueCases = options
      .filter(([, s]) => s.type === 'string')
      .map(([n, s]) => `        ${flag(n)}) ${n === 'C' ? 'COMPREPLY=($(compgen -d -- "$cur"))' : bashWords(s.complete, run) || ':'}; return ;;`);
    return [
      `    ${bashQuote(name)})`,
      ...(valueCases.length ? ['      case "$prev" in', ...valueCases, '      esac'] : []),
      `      if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W ${bashQuote(options.map(([n]) => flag(n)).join(' '))} -- "$cur")); return; fi`,
      `      ${bashWords(verb.operands, run) || ':'}`,
      '      ;;',
    ].join('\n');
  });
  const globals = Object.keys(GLOBAL_OPTIONS).map(flag).join(' ');
  return `# axiom completion for bash. Load it with: source <(axiom completion bash)
_axiom() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" verb="" cdir="" i
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      -C) ((i++)); cdir="\${COMP_WORDS[i]}" ;;
      -*) ;;
      *) [[ -z "$verb" ]] && verb="\${COMP_WORDS[i]}" ;;
    esac
  done
  if [[ -z "$verb" ]]; then
    if [[ "$prev" == -C ]]; then COMPREPLY=($(compgen -d -- "$cur")); return; fi
    if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W ${bashQuote(globals)} -- "$cur")); return; fi
    COMPREPLY=($(compgen -W ${bashQuote(Object.keys(verbs).join(' '))} -- "$cur"))
    return
  fi
  case "$verb" in
${verbCases.join('\n')}
  esac
}
complete -F _axiom axiom
`;
}

export function zshScript(verbs: Record<string, Verb>, self = selfCommand()): string {
  return `# axiom completion for zsh (through bashcompinit). Load it with: source <(axiom completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashScript(verbs, self).split('\n').slice(1).join('\n')}`;
}

// ---- fish ----

function fishQuote(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function fishArgs(c: Completion | undefined, self: string): string | null {
  if (c === undefined) return null;
  if (typeof c !== 'string') return fishQuote(c.join(' '));
  return fishQuote(`(${self} __complete ${c} 2>/dev/null)`);
}

export function fishScript(verbs: Record<string, Verb>, self = selfCommand()): string {
  const run = self.map(fishQuote).join(' ');
  const names = Object.keys(verbs).join(' ');
  const lines = ['# axiom completion for fish. Load it with: axiom completion fish | source', 'complete -c axiom -f'];
  for (const [n, s] of Object.entries(GLOBAL_OPTIONS)) lines.push(`complete -c axiom ${fishOption(n, s, run)}`);
  for (const [name, verb] of Object.entries(verbs)) {
    const when = `-n ${fishQuote(`__fish_seen_subcommand_from ${name}`)}`;
    lines.push(`complete -c axiom -n ${fishQuote(`not __fish_seen_subcommand_from ${names}`)} -a ${fishQuote(name)} -d ${fishQuote(verb.summary)}`);
    const operands = fishArgs(verb.operands, run);
    if (operands) lines.push(`complete -c axiom ${when} -a ${operands}`);
    for (const [n, s] of Object.entries(verb.options)) lines.push(`complete -c axiom ${when} ${fishOption(n, s, run)}`);
  }
  return lines.join('\n') + '\n';
}

function fishOption(name: string, spec: OptionSpec, run: string): string {
  const switchPart = name.length === 1 ? `-s ${name}` : `-l ${name}`;
  const value = spec.type === 'string' ? (name === 'C' ? ' -r -a "(__fish_complete_directories)"' : ` -x${fishArgs(spec.complete, run) ? ` -a ${fishArgs(spec.complete, run)}` : ''}`) : '';
  return `${switchPart}${value} -d ${fishQuote(spec.description)}`;
}

export function completionScript(shell: Shell, verbs: Record<string, Verb>): string {
  return shell === 'bash' ? bashScript(verbs) : shell === 'zsh' ? zshScript(verbs) : fishScript(verbs);
}
