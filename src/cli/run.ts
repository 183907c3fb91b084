/**
 * `axiom`: the command line over the engine. Parses the global options, hands the rest to one verb
 * (verbs/), and turns every failure into a message and an exit code here, in one place.
 * Human output is short and says what to do next; `--json` prints exactly one JSON document, and
 * errors (usage errors included) go to stderr as `{"error": {code, message, details}}`.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { AxiomEngine } from '../core';
import { backend, loadedBackend, whenLoaded } from './lazy';
import { complete } from './completion';
import { cliHint } from './hints';
import { EXIT, exitCodeOf, UnknownCommandError, UsageError, type CliIO, type ExitCode, type OptionSpec, type VerbContext } from './context';
import { GLOBAL_OPTIONS, globalHelp, verbHelp, verbUsage } from './help';
import { VERBS } from './verbs';

function usage(): string {
  return globalHelp(VERBS);
}

/**
 * The usage a usage error prints after its reason: that verb's when the command line names a known
 * verb (its usage lines and a pointer to its --help), else the global usage (every verb).
 */
function usageFor(e: UsageError, verb: string | undefined): string {
  return verb !== undefined && !(e instanceof UnknownCommandError) && Object.hasOwn(VERBS, verb) ? verbUsage(verb, VERBS[verb]!) : usage();
}

/** The verb a command line names, read leniently (for a command line that does not parse). */
function verbNamed(argv: string[], options: Record<string, ReturnType<typeof parseSpec>>): string | undefined {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: false }).positionals[0];
  } catch {
    return undefined;
  }
}

/** parseArgs' declaration of an option: only its type and short name (help fields stay ours). */
function parseSpec(spec: OptionSpec): { type: 'string' | 'boolean'; short?: string } {
  return spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
}

/** node:util's message, without its unbalanced quote (`as in '-- "--foo"` ends with no closing '). */
function parseErrorMessage(e: Error & { code?: string }): string {
  const unknown = /^Unknown option '([^']+)'/.exec(e.message);
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
    const flag = unknown[1]!;
    return `Unknown option ${flag}. A positional argument starting with "-" goes after "--", as in: -- ${JSON.stringify(flag)}`;
  }
  return e.message;
}

export async function runCli(argv: string[], io: CliIO): Promise<number> {
  // Known before parsing, so that even a malformed command line answers in JSON when asked to.
  const json = argv.includes('--json');
  // The verb named, once known: its usage errors show its usage.
  let verbName: string | undefined;
  try {
    // The hidden completer answers before anything else, quickly, and never fails loudly.
    if (argv[0] === '__complete') return await complete(argv.slice(1), io, VERBS);
    const allOptions: Record<string, ReturnType<typeof parseSpec>> = {};
    for (const options of [GLOBAL_OPTIONS, ...Object.values(VERBS).map((v) => v.options)])
      for (const [name, spec] of Object.entries(options)) allOptions[name] = parseSpec(spec);
    let parsed;
    try {
      parsed = parseArgs({ args: argv, options: allOptions, allowPositionals: true, strict: true });
    } catch (e) {
      verbName = verbNamed(argv, allOptions);
      throw new UsageError(parseErrorMessage(e as Error));
    }
    const values = parsed.values as VerbContext['values'];
    if (values.version) {
      io.out(`${VERSION}\n`);
      return EXIT.ok;
    }
    const [command, ...args] = parsed.positionals;
    if (!command) {
      if (!values.help) throw new UsageError('Missing command.');
      io.out(`${usage()}\n`);
      return EXIT.ok;
    }
    const verb = Object.hasOwn(VERBS, command) ? VERBS[command] : undefined;
    if (!verb) throw new UnknownCommandError(command);
    verbName = command;
    if (values.help) {
      io.out(`${verbHelp(verb)}\n`);
      return EXIT.ok;
    }
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
      engine: () => (engine ??= backend().AxiomEngine.open(where)),
      print: (doc, human) => io.out(json ? JSON.stringify(doc, null, 2) + '\n' : human()),
    };
    // A damaged record the engine skipped is named on stderr (stdout stays one document with --json),
    // from when a verb first loads the engine (help and the like never do).
    const stopWarnings = whenLoaded((b) => b.onDamagedRecord((_record, message) => io.err(`axiom: warning: ${message}\n`)));
    try {
      return await verb.run(ctx);
    } finally {
      stopWarnings();
    }
  } catch (e) {
    return reportError(e, json, io, verbName);
  }
}

/** -C relative to the current folder; a current folder that was deleted works only with an absolute -C. */
function resolveWhere(C: string | undefined, cwd: string | null): string {
  if (C !== undefined && path.isAbsolute(C)) return C;
  if (cwd === null) {
    throw new (backend().AxiomError)(
      'NotARepository',
      'The current folder no longer exists. Change to a folder of the repository, or pass -C <absolute path>.',
    );
  }
  return C === undefined ? cwd : path.resolve(cwd, C);
}

function reportError(e: unknown, json: boolean, io: CliIO, verb: string | undefined): ExitCode {
  if (e instanceof UsageError) {
    io.err(
      json
        ? JSON.stringify({ error: { code: 'Usage', message: e.message, details: {} } }, null, 2) + '\n'
        : `axiom: ${e.message}\n\n${usageFor(e, verb)}\n`,
    );
    return EXIT.usage;
  }
  // An engine error implies the engine is loaded: a usage error loads nothing to be reported.
  const b = loadedBackend();
  if (b && e instanceof b.AxiomError) {
    const code = exitCodeOf(e);
    const hint = cliHint(e);
    io.err(
      json ? JSON.stringify({ error: e.toJSON() }, null, 2) + '\n' : `axiom: ${e.message}\n${hint ? `${hint}\n` : ''}`,
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
