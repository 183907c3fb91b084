/**
 * What every CLI verb gets: its arguments, a lazily opened engine, and one way to print. Verbs
 * throw UsageError for bad command lines and AxiomError for refusals; `run.ts` turns both into
 * messages and exit codes in one place.
 */
import type { AxiomEngine, AxiomError } from '../core';
import { backend } from './lazy';

export const EXIT = { ok: 0, failure: 1, usage: 2, refused: 3, conflict: 4 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class UsageError extends Error {}

/** A command line whose verb is unknown: its usage error shows every verb (the global usage). */
export class UnknownCommandError extends UsageError {
  constructor(name: string) {
    super(`Unknown command ${JSON.stringify(name)}.`);
  }
}

/** The exit code of an engine error: 4 conflict, 2 bad input, 3 refused, 1 failure. */
export function exitCodeOf(e: AxiomError): ExitCode {
  if (e.code === 'MergeConflict') return EXIT.conflict;
  if (e.code === 'InvalidId' || e.code === 'InvalidArgument' || e.code === 'InvalidConfig') return EXIT.usage;
  return backend().REFUSAL_CODES.has(e.code) ? EXIT.refused : EXIT.failure;
}

export interface CliIO {
  out: (text: string) => void;
  err: (text: string) => void;
  /** The folder the CLI was started in; null when it no longer exists (deleted under the shell). */
  cwd: string | null;
}

/** Option values after parsing: strings and booleans by long name. */
export type OptionValues = Record<string, string | boolean | undefined>;

export interface VerbContext {
  /** Positional arguments after the verb. */
  args: string[];
  values: OptionValues;
  json: boolean;
  io: CliIO;
  /** The folder commands act on (-C, else the current folder). */
  where: string;
  engine(): Promise<AxiomEngine>;
  /** One JSON document with --json, else the human text. */
  print(doc: unknown, human: () => string): void;
}

/** What a word completes to: names listed by `axiom __complete <kind>`, or fixed words. */
export type CompletionKind = 'instance' | 'race' | 'search' | 'salvage' | 'verb';
export type Completion = CompletionKind | readonly string[];

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** What the option does, one sentence (shown by `axiom <verb> --help`). */
  description: string;
  /** Its value's name in help, e.g. "<branch>" (string options). */
  value?: string;
  /** What applies when the option is not given, in words (e.g. "merge"); omitted for switches. */
  default?: string;
  /** What its value completes to in the shell (none: no completion). */
  complete?: Completion;
}

export interface Verb {
  /** One usage line per form, shown by `axiom --help`. */
  usage: string[];
  /** What the verb does, one sentence (`axiom <verb> --help`, `axiom help <verb>`). */
  summary: string;
  /** The options this verb accepts (global ones are always accepted); help and completion list them. */
  options: Record<string, OptionSpec>;
  /** At least one complete command line, each with a short comment after `#`. */
  examples: [string, ...string[]];
  /** What the positional arguments complete to in the shell (none: no completion). */
  operands?: Completion;
  run(ctx: VerbContext): Promise<ExitCode>;
}

export function need(args: string[], index: number, what: string): string {
  const v = args[index];
  if (v === undefined || v === '') throw new UsageError(`Missing ${what}.`);
  return v;
}

export function noExtra(args: string[], max: number): void {
  if (args.length > max) throw new UsageError(`Unexpected argument ${JSON.stringify(args[max])}.`);
}

export function stringOption(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}

/** A whole number ≥ min from an option; an empty or partial number is a usage error, never 0. */
export function integerOption(values: OptionValues, name: string, min = 0): number | undefined {
  const raw = stringOption(values, name);
  if (raw === undefined) return undefined;
  if (!/^\s*\d+\s*$/.test(raw) || Number(raw) < min)
    throw new UsageError(`--${name} takes a whole number ≥ ${min} (got ${JSON.stringify(raw)}).`);
  return Number(raw);
}
