/**
 * `axiom`: the command line over the engine. Parses the global options, hands the rest to one verb
 * (verbs/), and turns every failure into a message and an exit code here, in one place.
 * Human output is short and says what to do next; `--json` prints exactly one JSON document, and
 * errors (usage errors included) go to stderr as `{"error": {code, message, details}}`.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { AxiomEngine, AxiomError, onDamagedRecord, REFUSAL_CODES } from '../core';
import { EXIT, UsageError, type CliIO, type ExitCode, type OptionSpec, type VerbContext } from './context';
import { VERBS } from './verbs';

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  C: { type: 'string', short: 'C' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
};

function usage(): string {
  const lines = Object.values(VERBS).flatMap((v) => v.usage.map((u) => `  ${u}`));
  return `Usage: axiom [-C <path>] <command> [options]

Commands:
${lines.join('\n')}

Options: --json (one JSON document), -C <path> (run as if started in <path>), -h/--help, --version.
Exit codes: 0 done, 1 failure, 2 usage, 3 refused to protect work or by a rule, 4 merge conflict.`;
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  // Known before parsing, so that even a malformed command line answers in JSON when asked to.
  const json = argv.includes('--json');
  try {
    const allOptions: Record<string, OptionSpec> = { ...GLOBAL_OPTIONS };
    for (const verb of Object.values(VERBS)) Object.assign(allOptions, verb.options);
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: allOptions, allowPositionals: true, strict: true });
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const values = parsed.values as VerbContext['values'];
    if (values.version) {
      io.out(`${VERSION}\n`);
      return EXIT.ok;
    }
    const [command, ...args] = parsed.positionals;
    if (values.help || !command) {
      if (!values.help) throw new UsageError('Missing command.');
      io.out(`${usage()}\n`);
      return EXIT.ok;
    }
    const verb = Object.hasOwn(VERBS, command) ? VERBS[command] : undefined;
    if (!verb) throw new UsageError(`Unknown command ${JSON.stringify(command)}.`);
    for (const name of Object.keys(values)) {
      if (!(name in GLOBAL_OPTIONS) && !(name in verb.options))
        throw new UsageError(`--${name} is not an option of axiom ${command}.`);
    }
    const where = resolveWhere(typeof values.C === 'string' ? values.C : undefined, io.cwd);
    let engine: Promise<AxiomEngine> | undefined;
    const ctx: VerbContext = {
      args,
      values,
      json,
      io,
      where,
      engine: () => (engine ??= AxiomEngine.open(where)),
      print: (doc, human) => io.out(json ? JSON.stringify(doc, null, 2) + '\n' : human()),
    };
    // A damaged record the engine skipped is named on stderr (stdout stays one document with --json).
    const stopWarnings = onDamagedRecord((_record, message) => io.err(`axiom: warning: ${message}\n`));
    try {
      return await verb.run(ctx);
    } finally {
      stopWarnings();
    }
  } catch (e) {
    return reportError(e, json, io);
  }
}

/** -C relative to the current folder; a current folder that was deleted works only with an absolute -C. */
function resolveWhere(C: string | undefined, cwd: string | null): string {
  if (C !== undefined && path.isAbsolute(C)) return C;
  if (cwd === null) {
    throw new AxiomError(
      'NotARepository',
      'The current folder no longer exists. Change to a folder of the repository, or pass -C <absolute path>.',
    );
  }
  return C === undefined ? cwd : path.resolve(cwd, C);
}

function reportError(e: unknown, json: boolean, io: CliIO): ExitCode {
  if (e instanceof UsageError) {
    io.err(
      json
        ? JSON.stringify({ error: { code: 'Usage', message: e.message, details: {} } }, null, 2) + '\n'
        : `axiom: ${e.message}\n\n${usage()}\n`,
    );
    return EXIT.usage;
  }
  if (e instanceof AxiomError) {
    const code =
      e.code === 'MergeConflict'
        ? EXIT.conflict
        : e.code === 'InvalidId' || e.code === 'InvalidArgument' || e.code === 'InvalidConfig'
          ? EXIT.usage
          : REFUSAL_CODES.has(e.code)
            ? EXIT.refused
            : EXIT.failure;
    io.err(
      json ? JSON.stringify({ error: e.toJSON() }, null, 2) + '\n' : `axiom: ${e.message}\n`,
    );
    return code;
  }
  // A bug, not a refusal: say so plainly; the stack only when asked (AXIOM_DEBUG=1).
  const message = e instanceof Error ? e.message : String(e);
  const stack = process.env.AXIOM_DEBUG === '1' && e instanceof Error ? `\n${e.stack}` : '';
  io.err(
    json
      ? JSON.stringify({ error: { code: 'Unexpected', message, details: {} } }, null, 2) + '\n'
      : `axiom: unexpected failure: ${message}${stack}\n(run with AXIOM_DEBUG=1 for details; nothing was changed unless a message above says so)\n`,
  );
  return EXIT.failure;
}

declare const __AXIOM_VERSION__: string;
const VERSION = typeof __AXIOM_VERSION__ === 'string' ? __AXIOM_VERSION__ : 'dev';
