/** Reading a JSON-lines file another process may be appending to right now. */
import * as fs from 'node:fs';

/** The file's whole lines, parsed ([] when it does not exist): a line still being written is left for the next read. */
export function wholeJsonLines<T>(file: string): T[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as T);
}
