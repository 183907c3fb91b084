/**
 * The last non-empty line a program printed, from its raw terminal output read chunk by chunk (a VS
 * Code terminal's shell-integration stream): escape sequences and control characters removed, at
 * most `max` characters. Memory is bounded whatever the program prints — the line being written is
 * kept only up to `PENDING_LIMIT` characters (its end), the last complete line only as its bound.
 */

/** How much of a line still being written is kept (its end): a program printing megabytes without a newline costs this much. */
export const PENDING_LIMIT = 4096;

/** The default bound of the line kept. */
export const LAST_LINE_MAX = 120;

// CSI (ESC [ … final byte, and the 8-bit CSI), OSC (ESC ] … BEL or ESC \), DCS/PM/APC/SOS strings, and two-byte escapes.
// eslint-disable-next-line no-control-regex -- terminal escapes are control characters
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[PX^_][^\x1b]*\x1b\\|\x1b[ -/]*[0-~]/g;
// What is left of a sequence cut off at the start of the kept part, or never finished.
// eslint-disable-next-line no-control-regex -- terminal escapes are control characters
const BROKEN = /\x1b[^a-zA-Z]*[a-zA-Z]?/g;
// Control characters (tabs become spaces first).
// eslint-disable-next-line no-control-regex -- terminal escapes are control characters
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/** A line of terminal output as text: escapes and control characters out, whitespace folded, bounded. */
export function plainLine(raw: string, max = LAST_LINE_MAX): string {
  const text = raw.replace(ESCAPES, '').replace(BROKEN, '').replace(/\t/g, ' ').replace(CONTROLS, '').replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;
}

export class LastLine {
  private pending = '';
  private last: string | undefined;

  constructor(private readonly max = LAST_LINE_MAX) {}

  /** Takes the next chunk of output. A carriage return ends a line as a newline does (progress bars redraw with it). */
  push(chunk: string): void {
    const parts = (this.pending + chunk).split(/\r\n|\n|\r/);
    const rest = parts.pop() ?? '';
    // Only the last complete lines can hold the last non-empty one: look back from the end.
    for (let i = parts.length - 1; i >= 0; i--) {
      const line = plainLine(parts[i]!.slice(-PENDING_LIMIT), this.max);
      if (line) {
        this.last = line;
        break;
      }
    }
    this.pending = rest.length > PENDING_LIMIT ? rest.slice(-PENDING_LIMIT) : rest;
  }

  /** The last non-empty line so far, the unfinished one included; undefined when it printed nothing visible. */
  get value(): string | undefined {
    return plainLine(this.pending, this.max) || this.last;
  }
}
