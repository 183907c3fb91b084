/** A hook's stdin, read whole: Claude Code writes the event as JSON and closes it. */
import * as fs from 'node:fs';

/** The text on stdin; '' when stdin is a terminal (someone ran the hook by hand: never wait on it) or unreadable. */
export function readHookStdin(): string {
  try {
    const st = fs.fstatSync(0);
    // A hook gets a pipe (or a file); a terminal on stdin means someone ran it by hand.
    if (!st.isFIFO() && !st.isFile() && !st.isSocket()) return '';
    return fs.readFileSync(0, 'utf8');
  } catch {
    return '';
  }
}
