/**
 * Help generated from the verb table: `axiom --help` lists the verbs, `axiom <verb> --help` and
 * `axiom help <verb>` show one verb's usage, summary, options (meaning and default) and examples.
 * The Verb type requires each of them, so a verb cannot lack its help.
 */
import type { OptionSpec, Verb } from './context';

export const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  C: { type: 'string', short: 'C', value: '<path>', description: 'Run as if started in <path>.', default: 'the current folder' },
  json: { type: 'boolean', description: 'Print exactly one JSON document (errors too, on stderr).' },
  help: { type: 'boolean', short: 'h', description: 'Show help (of the verb, when one is given).' },
  version: { type: 'boolean', description: 'Print the version.' },
};

const EXIT_CODES = 'Exit codes: 0 done, 1 failure, 2 usage, 3 refused to protect work or by a rule, 4 merge conflict.';

export function globalHelp(verbs: Record<string, Verb>): string {
  const lines = Object.values(verbs).flatMap((v) => v.usage.map((u) => `  ${u}`));
  return `Usage: axiom [-C <path>] <command> [options]

Commands:
${lines.join('\n')}

Options: --json (one JSON document), -C <path> (run as if started in <path>), -h/--help, --version.
Help on one command: axiom <command> --help, or axiom help <command>.
${EXIT_CODES}`;
}

/** How an option is written on the command line: `--base <branch>`, `-C <path>`, `--force`. */
export function optionSyntax(name: string, spec: OptionSpec): string {
  const flag = name.length === 1 ? `-${name}` : `${spec.short ? `-${spec.short}, ` : ''}--${name}`;
  return spec.type === 'string' ? `${flag} ${spec.value ?? '<value>'}` : flag;
}

function optionLines(options: Record<string, OptionSpec>): string[] {
  const entries = Object.entries(options);
  const width = Math.min(36, Math.max(0, ...entries.map(([n, s]) => optionSyntax(n, s).length)));
  return entries.map(([name, spec]) => {
    const syntax = optionSyntax(name, spec).padEnd(width);
    return `  ${syntax}  ${spec.description}${spec.default !== undefined ? ` (default: ${spec.default})` : ''}`;
  });
}

/** A verb's usage lines as its help shows them; continuation lines (starting with spaces) stay aligned under the first after `axiom `. */
function usageLines(verb: Verb): string[] {
  return verb.usage.map((u) => `  ${u.startsWith(' ') ? '      ' : 'axiom '}${u}`);
}

/**
 * What a usage error of one verb prints after its reason: that verb's usage lines and where its
 * options are explained — not the list of every verb.
 */
export function verbUsage(name: string, verb: Verb): string {
  return ['Usage:', ...usageLines(verb), `Run 'axiom ${name} --help' for its options.`].join('\n');
}

export function verbHelp(verb: Verb): string {
  const usage = usageLines(verb);
  const options = Object.keys(verb.options).length ? optionLines(verb.options) : ['  (none besides the global ones)'];
  return [
    `Usage:`,
    ...usage,
    '',
    verb.summary,
    '',
    'Options:',
    ...options,
    '',
    'Global options:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    verb.examples.length > 1 ? 'Examples:' : 'Example:',
    ...verb.examples.map((e) => `  ${e}`),
    '',
    EXIT_CODES,
    `See also: axiom --help (every command), axiom completion bash|zsh|fish.`,
  ].join('\n');
}
