/** Wording shared by every front end's messages. */

/** "1 file", "3 files", "2 branches", "2 repositories": a count with its noun (the last word takes the plural). */
export function plural(n: number, noun: string): string {
  if (n === 1) return `${n} ${noun}`;
  if (/(s|x|z|ch|sh)$/.test(noun)) return `${n} ${noun}es`;
  if (/[^aeiou]y$/.test(noun)) return `${n} ${noun.slice(0, -1)}ies`;
  return `${n} ${noun}s`;
}
