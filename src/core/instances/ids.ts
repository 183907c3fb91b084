/** Instance ids, branch names and worktree paths: validated before anything touches disk. */
import * as path from 'node:path';
import { AxiomError } from '../errors';

export const ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,39}$/;
export const BRANCH_PREFIX = 'axiom/';
export const SALVAGE_PREFIX = 'refs/axiom/salvage/';
export const DEFAULT_DIR_TEMPLATE = '../axiom-{id}';

/** Returns null when valid, else a sentence saying what is wrong (used as-you-type by the UI). */
export function describeInvalidId(id: string): string | null {
  if (id.length === 0) return 'An instance id is required.';
  if (id.length > 40) return `An instance id has at most 40 characters (this one has ${id.length}).`;
  if (!/^[a-z0-9]/.test(id)) return 'An instance id starts with a lowercase letter or a digit.';
  const bad = [...new Set([...id].filter((c) => !/[a-z0-9._-]/.test(c)))];
  if (bad.length > 0) {
    const shown = bad.map((c) => JSON.stringify(c)).join(' ');
    return `An instance id may use only a-z, 0-9, '.', '_' and '-' (not ${shown}).`;
  }
  // git refuses ref components ending in ".lock" or containing ".."
  if (id.includes('..') || id.endsWith('.lock') || id.endsWith('.')) {
    return "An instance id may not contain '..' or end with '.' or '.lock'.";
  }
  return null;
}

export function validateId(id: unknown): string {
  if (typeof id !== 'string') throw new AxiomError('InvalidId', 'An instance id must be a string.');
  const problem = describeInvalidId(id);
  if (problem) throw new AxiomError('InvalidId', `Invalid instance id ${JSON.stringify(id.slice(0, 60))}: ${problem}`);
  return id;
}

/** The most instances one Spawn Several / `spawn --count` creates (the limit usually says less). */
export const MAX_SPAWN_COUNT = 500;

/**
 * The ids of several instances spawned at once — Spawn Several, `axiom spawn --count N <prefix>`, MCP
 * `spawn` with `count` — `<prefix>-1` … `<prefix>-<count>`: the one naming rule, checked whole before
 * anything touches disk (InvalidId for the prefix, InvalidArgument for the count).
 */
export function severalIds(prefix: unknown, count: unknown): string[] {
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_SPAWN_COUNT) {
    throw new AxiomError('InvalidArgument', `The count must be a whole number from 1 to ${MAX_SPAWN_COUNT} (got ${JSON.stringify(count)}).`);
  }
  const problem = describeSeveralPrefix(prefix, count);
  if (problem) throw new AxiomError('InvalidId', `Invalid id prefix ${JSON.stringify(String(prefix).slice(0, 60))}: ${problem}`);
  return Array.from({ length: count }, (_, i) => `${prefix as string}-${i + 1}`);
}

/** What is wrong with a prefix for `count` instances (as-you-type in the UI), or null. */
export function describeSeveralPrefix(prefix: unknown, count: number): string | null {
  if (typeof prefix !== 'string') return 'An id prefix must be a string.';
  return describeInvalidId(prefix) ?? describeInvalidId(`${prefix}-${count}`);
}

export function branchFor(id: string, now: Date): string {
  return `${BRANCH_PREFIX}${id}/${now.getTime()}`;
}

/** The instance id an axiom branch belongs to, or null. */
export function idFromBranch(branch: string): string | null {
  const m = /^axiom\/([a-z0-9][a-z0-9._-]{0,39})\/\d+$/.exec(branch);
  return m ? m[1]! : null;
}

/** Resolves the worktree directory from a template relative to the main worktree's top level. */
export function worktreePathFor(template: string, id: string, mainWorktree: string): string {
  if (!template.includes('{id}')) {
    throw new AxiomError('InvalidArgument', `The worktree directory template must contain {id} (got ${JSON.stringify(template)}).`);
  }
  const repoName = path.basename(mainWorktree);
  const rel = template.replaceAll('{id}', id).replaceAll('{repo}', repoName);
  const resolved = path.resolve(mainWorktree, rel);
  // The id is validated, so only the template can point somewhere odd; never the repository itself.
  if (resolved === path.resolve(mainWorktree) || resolved === path.parse(resolved).root) {
    throw new AxiomError('InvalidArgument', `The worktree directory template resolves to ${resolved}, which cannot hold a worktree.`);
  }
  return resolved;
}

/** Git's rules for a branch name, checked without running git (used for base/target names). */
export function isPlausibleRefName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= 255 &&
    !name.startsWith('-') &&
    // eslint-disable-next-line no-control-regex -- control characters are exactly what git forbids
    !/[\s~^:?*[\\\x00-\x1f\x7f]/.test(name) &&
    !name.includes('..') &&
    !name.includes('@{') &&
    !name.endsWith('.lock') &&
    !name.endsWith('/') &&
    !name.endsWith('.')
  );
}
