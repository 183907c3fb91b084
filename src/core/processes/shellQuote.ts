/**
 * The one quoting helper for command lines that must be typed into a terminal. Everything that
 * reaches a shell from a user or an agent (prompts, ids, paths) goes through here, one argument
 * at a time; nothing is ever interpolated into a shell string unquoted.
 */
export type ShellFlavor = 'posix' | 'powershell';

const POSIX_SAFE = /^[A-Za-z0-9_/.,:=@%+-]+$/;

export function quoteArg(arg: string, flavor: ShellFlavor = 'posix'): string {
  if (arg.includes('\0')) throw new Error('An argument cannot contain a NUL character.');
  if (flavor === 'powershell') {
    // Single-quoted strings in PowerShell are literal; a quote is doubled (also the typographic ones).
    return `'${arg.replace(/['\u2018\u2019\u201a\u201b]/g, (q) => q + q)}'`;
  }
  if (arg !== '' && POSIX_SAFE.test(arg)) return arg;
  // Inside single quotes nothing is special; a single quote ends, is escaped, and restarts.
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(argv: readonly string[], flavor: ShellFlavor = 'posix'): string {
  if (argv.length === 0) throw new Error('A command line needs at least the program.');
  const [program, ...args] = argv;
  const head = flavor === 'powershell' ? `& ${quoteArg(program!, flavor)}` : quoteArg(program!, flavor);
  return [head, ...args.map((a) => quoteArg(a, flavor))].join(' ');
}

/** Picks the quoting flavor from a shell path (VS Code's terminal default profile). */
export function flavorOfShell(shellPath: string | undefined): ShellFlavor {
  return shellPath && /(pwsh|powershell)(\.exe)?$/i.test(shellPath) ? 'powershell' : 'posix';
}

/**
 * Splits a user's command template ("my-agent --fast {prompt}") into argv without a shell:
 * whitespace separates, single or double quotes group, and placeholders fill whole arguments.
 */
export function splitTemplate(template: string, values: Record<string, string | null>): string[] {
  const words: string[] = [];
  let current = '';
  let quote: '"' | "'" | null = null;
  let started = false;
  for (const ch of template) {
    if (quote) {
      if (ch === quote) quote = null;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      started = true;
    } else if (/\s/.test(ch)) {
      if (started || current) words.push(current);
      current = '';
      started = false;
    } else {
      current += ch;
    }
  }
  if (quote) throw new Error(`Unclosed ${quote} in the agent command ${JSON.stringify(template)}.`);
  if (started || current) words.push(current);
  const out: string[] = [];
  for (const w of words) {
    const whole = /^\{(\w+)\}$/.exec(w);
    if (whole && whole[1]! in values) {
      const v = values[whole[1]!];
      if (v !== null && v !== undefined && v !== '') out.push(v); // an empty placeholder drops the argument
      continue;
    }
    out.push(w.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? (values[k] ?? '') : m)));
  }
  return out;
}
