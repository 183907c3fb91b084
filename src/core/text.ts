/** Wording shared by every front end's messages. */

/** "1 file", "3 files": a count with its noun (the last word takes the plural). */
export function plural(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : /[^aeiou]y$/.test(noun) ? `${noun.slice(0, -1)}ies` : `${noun}s`}`;
}
