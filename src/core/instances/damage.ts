/**
 * Damaged records (docs/ARCHITECTURE.md §4.8, "identity by record"): a notes ref, race record, salvage ref or
 * metadata file Axiom cannot read is skipped — never trusted, never a reason to stop other work —
 * with a warning that names `axiom repair`; repair quarantines it: a ref is moved under
 * `refs/axiom/damaged/…` (its object stays reachable there), a metadata file is renamed aside.
 * Readers report what they skipped here; each front end shows the warnings in its own way.
 */
import type { GitRunner } from '../git/git';

export type DamagedKind = 'notes' | 'race' | 'search' | 'salvage' | 'metadata';

export interface DamagedRecord {
  kind: DamagedKind;
  /** The ref, or the metadata file's path. */
  name: string;
  problem: string;
}

export const DAMAGED_REF_PREFIX = 'refs/axiom/damaged/';

export function describeDamage(d: DamagedRecord): string {
  return `Axiom's record ${d.name} is damaged (${d.problem}); it was skipped. Run axiom repair to set it aside.`;
}

type Listener = (record: DamagedRecord, message: string) => void;
const listeners = new Set<Listener>();
const reported = new Set<string>();

/** Listens for damaged records the engine skipped (each one once per process). Returns the unsubscribe. */
export function onDamagedRecord(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** A reader skipped a damaged record: tell the listeners, once per record and problem. */
export function reportDamage(record: DamagedRecord): void {
  const key = `${record.kind}\0${record.name}\0${record.problem}`;
  if (reported.has(key)) return;
  reported.add(key);
  const message = describeDamage(record);
  for (const l of listeners) l(record, message);
}

/** Where a damaged ref is kept: `refs/axiom/damaged/<the ref without refs/>/<ms>`. */
export function quarantineRefName(ref: string, now = Date.now()): string {
  return `${DAMAGED_REF_PREFIX}${ref.replace(/^refs\//, '')}/${now}`;
}

/**
 * Moves a damaged ref aside (the caller holds the repository lock): the object is first kept under
 * `refs/axiom/damaged/…`, then the ref is deleted only if it still names that object. Returns where it went.
 */
export async function quarantineRef(git: GitRunner, commonDir: string, ref: string, sha: string): Promise<string> {
  const target = quarantineRefName(ref);
  await git.run(commonDir, ['update-ref', '-m', 'axiom: damaged record set aside', target, sha, '']);
  await git.run(commonDir, ['update-ref', '-m', 'axiom: damaged record set aside', '-d', ref, sha]);
  return target;
}
