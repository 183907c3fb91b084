/**
 * Every process Axiom starts for an instance (setup, teardown, evaluation) has an owner and an end
 * (docs/ARCHITECTURE.md §5):
 * - it runs in its own process group (detached), recorded in the instance's admin dir
 *   (`axiom-proc-<token>.json`: the command, the Axiom process that owns it, the group leader's pid
 *   and start time) — the record is written before the process starts and completed right after;
 * - a step is over when its command (the group leader) exits, never when pipes inherited by its
 *   children close: a `server &` in a setup does not hold the step open;
 * - what a step leaves running is stopped when it ends (evaluation, teardown) or at the instance's
 *   cleanup (setup: the servers it starts are the point of it); after a crash (`kill -9` of the
 *   owner) the next operation on the instance, `repair` or cleanup stops the orphaned groups;
 * - a group is signalled only when Axiom can prove it started it: the leader still runs with its
 *   recorded start time, or (the leader gone, Linux) a member of the group carries the step's
 *   token in its environment. A pid or group id reused by another program is never touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { currentProcessIdentity, isSameProcess, isSameProcessAlive, processStartToken, type ProcessIdentity } from './processIdentity';

export type OwnedKind = 'setup' | 'teardown' | 'evaluation';

const RECORD_PREFIX = 'axiom-proc-';
/** Carried by every process of a step (inherited by its children): the proof that a group is Axiom's. */
export const OWNED_TOKEN_ENV = 'AXIOM_PROCESS_TOKEN';
/** How long a stopped group gets between SIGTERM and SIGKILL. */
export const STOP_GRACE_MS = 3000;

export interface OwnedRecord {
  version: 1;
  kind: OwnedKind;
  token: string;
  /** The command (for people reading the record and `repair`'s report). */
  command: string;
  cwd: string;
  /** The Axiom process that started it: while it lives, it is the one that ends the step. */
  owner: ProcessIdentity;
  startedAt: string;
  /** The group leader (the command itself); its pid is the group id. Absent until it started. */
  pid?: number;
  startTime?: string | null;
  /** When the command itself exited: what is left of its group after that are leftovers. */
  endedAt?: string;
}

export interface OwnedExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The command could not be started (ENOENT, EACCES …). */
  error?: NodeJS.ErrnoException;
}

export interface OwnedChild {
  child: ChildProcess;
  record: OwnedRecord;
  file: string;
  /** Resolves when the command itself exits (not when its pipes close). */
  exited: Promise<OwnedExit>;
}

export interface StartOwnedOptions {
  adminDir: string;
  kind: OwnedKind;
  /** A command line run by the shell (`shell: true`), or a program and its arguments. */
  command: string;
  args?: readonly string[];
  shell?: boolean;
  cwd: string;
  env: Record<string, string>;
  /** 'pipe', or a file descriptor (a log) the process writes to directly. */
  stdout: 'pipe' | number;
  stderr: 'pipe' | number;
}

function writeRecord(file: string, rec: OwnedRecord): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(rec, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

/** Starts a step's command in its own process group, recorded in the admin dir before it starts. */
export function startOwned(o: StartOwnedOptions): OwnedChild {
  const token = randomBytes(12).toString('hex');
  const file = path.join(o.adminDir, `${RECORD_PREFIX}${token}.json`);
  const record: OwnedRecord = {
    version: 1,
    kind: o.kind,
    token,
    command: o.args ? JSON.stringify([o.command, ...o.args]) : o.command,
    cwd: o.cwd,
    owner: currentProcessIdentity(),
    startedAt: new Date().toISOString(),
  };
  // Write-ahead: the intent is on disk before the process exists.
  writeRecord(file, record);
  const child = spawn(o.command, o.args ?? [], {
    cwd: o.cwd,
    env: { ...o.env, [OWNED_TOKEN_ENV]: token },
    shell: o.shell === true,
    detached: process.platform !== 'win32',
    stdio: ['ignore', o.stdout, o.stderr],
    windowsHide: true,
  });
  if (child.pid !== undefined) {
    record.pid = child.pid;
    record.startTime = processStartToken(child.pid);
    writeRecord(file, record);
  }
  const exited = new Promise<OwnedExit>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) resolve({ exitCode: null, signal: null, error });
    });
    child.once('exit', (exitCode, signal) => {
      record.endedAt = new Date().toISOString();
      try {
        if (fs.existsSync(file)) writeRecord(file, record);
      } catch {
        /* the admin dir is gone (the instance was removed): nothing left to record */
      }
      resolve({ exitCode, signal });
    });
  }).then((r) => {
    if (r.error) fs.rmSync(file, { force: true });
    return r;
  });
  return { child, record, file, exited };
}

/** The pids of a process group (Linux: from /proc; elsewhere an empty list). */
function groupMembers(pgid: number): number[] {
  if (process.platform !== 'linux') return [];
  const out: number[] = [];
  let names: string[];
  try {
    names = fs.readdirSync('/proc');
  } catch {
    return [];
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) out.push(Number(name));
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

function carriesToken(pid: number, token: string): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(`${OWNED_TOKEN_ENV}=${token}`);
  } catch {
    return false;
  }
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The group of a step whose record has no pid: its owner was killed after starting it but before it
 * could record the pid. Found by the token every process of the step carries (Linux /proc).
 */
function groupByToken(token: string): number | undefined {
  if (process.platform !== 'linux') return undefined;
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return undefined;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || !carriesToken(Number(entry), token)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After "(comm)": state, ppid, pgrp.
      const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (Number.isInteger(pgrp) && pgrp > 0) return pgrp;
    } catch {
      /* gone meanwhile */
    }
  }
  return undefined;
}

/** The record with its group filled in from the token when the owner died before recording it. */
function withGroup(rec: OwnedRecord): OwnedRecord {
  if (rec.pid !== undefined || isSameProcessAlive(rec.owner)) return rec;
  const pid = groupByToken(rec.token);
  return pid === undefined ? rec : { ...rec, pid };
}

/** A process group as recorded: its leader (pid = group id, start time) and the token its processes carry. */
export type RecordedGroup = Pick<OwnedRecord, 'pid' | 'startTime' | 'token'>;

/** Whether the recorded group still runs and provably is the one Axiom started. */
export function groupIsOurs(rec: RecordedGroup): boolean {
  if (rec.pid === undefined || process.platform === 'win32') return false;
  if (isSameProcess(rec.pid, rec.startTime)) return true;
  return groupMembers(rec.pid).some((pid) => carriesToken(pid, rec.token));
}

/**
 * Stops a recorded group: SIGTERM, then SIGKILL after `graceMs` — each signal only after the group
 * is proven Axiom's again. Returns whether anything was signalled.
 */
export async function stopOwnedGroup(rec: RecordedGroup, graceMs = STOP_GRACE_MS): Promise<boolean> {
  if (!groupIsOurs(rec)) return false;
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-rec.pid!, sig);
    } catch {
      /* already gone */
    }
  };
  signal('SIGTERM');
  const until = Date.now() + graceMs;
  while (Date.now() < until && groupExists(rec.pid!) && groupIsOurs(rec)) await new Promise((r) => setTimeout(r, 50));
  if (groupIsOurs(rec)) signal('SIGKILL');
  return true;
}

/** The records of an instance's admin dir (unreadable ones skipped). */
export function readOwnedRecords(adminDir: string): { file: string; record: OwnedRecord }[] {
  let names: string[];
  try {
    names = fs.readdirSync(adminDir);
  } catch {
    return [];
  }
  const out: { file: string; record: OwnedRecord }[] = [];
  for (const name of names) {
    if (!name.startsWith(RECORD_PREFIX) || !name.endsWith('.json')) continue;
    const file = path.join(adminDir, name);
    try {
      const record = JSON.parse(fs.readFileSync(file, 'utf8')) as OwnedRecord;
      if (record && record.version === 1 && typeof record.token === 'string') out.push({ file, record });
    } catch {
      /* torn: its writer renames atomically, so this is a leftover temp or damage; ignore */
    }
  }
  return out;
}

/**
 * An orphan: its owner is gone while the step ran (a `kill -9` of the CLI during a setup), or it is
 * what an evaluation or teardown left (those are stopped when their step ends; the owner died first),
 * or it runs in a folder that no longer exists.
 */
export function isOrphan(rec: OwnedRecord): boolean {
  if (!fs.existsSync(rec.cwd)) return true;
  if (isSameProcessAlive(rec.owner)) return false;
  return rec.kind !== 'setup' || rec.endedAt === undefined;
}

export interface StoppedProcess {
  kind: OwnedKind;
  command: string;
  pid: number;
}

/**
 * Stops the recorded groups of an instance that `which` selects (default: all of them — cleanup)
 * and drops the records of groups that are gone. Returns what was stopped.
 */
export async function stopOwnedProcesses(adminDir: string, which: (rec: OwnedRecord) => boolean = () => true, graceMs = STOP_GRACE_MS): Promise<StoppedProcess[]> {
  const stopped: StoppedProcess[] = [];
  await Promise.all(
    readOwnedRecords(adminDir).map(async ({ file, record: recorded }) => {
      const record = withGroup(recorded);
      const ours = groupIsOurs(record);
      if (ours && !which(record)) return;
      if (ours && (await stopOwnedGroup(record, graceMs))) stopped.push({ kind: record.kind, command: record.command, pid: record.pid! });
      // Not provably ours any more (ended, or its pid reused): the record proves nothing; drop it,
      // unless its owner is still starting it (no pid yet).
      if (record.pid !== undefined || !isSameProcessAlive(record.owner)) fs.rmSync(file, { force: true });
    }),
  );
  return stopped;
}

/** The orphans of every instance of the repository (repair). */
export async function stopOrphans(commonDir: string, graceMs = STOP_GRACE_MS): Promise<StoppedProcess[]> {
  let names: string[];
  try {
    names = fs.readdirSync(path.join(commonDir, 'worktrees'));
  } catch {
    return [];
  }
  const all = await Promise.all(names.map((n) => stopOwnedProcesses(path.join(commonDir, 'worktrees', n), isOrphan, graceMs)));
  return all.flat();
}

/**
 * Ends a step: the command exited; the rest of its group (leftovers) is stopped unless it is a
 * setup's (its servers live until cleanup). A record with nothing left running is dropped.
 */
export async function endOwnedStep(owned: OwnedChild, graceMs = STOP_GRACE_MS): Promise<void> {
  const { record, file } = owned;
  if (record.kind !== 'setup') {
    await stopOwnedGroup(record, graceMs);
    if (!groupIsOurs(record)) fs.rmSync(file, { force: true });
    return;
  }
  // A setup's record is kept while its group exists (its servers): the proof is checked again
  // whenever it is to be stopped.
  if (record.pid === undefined || !groupExists(record.pid)) fs.rmSync(file, { force: true });
}
