/**
 * Which process is which: a pid alone can be reused by an unrelated process, so Axiom records the
 * pid together with the process's start time and trusts a record only while both still match.
 * The start time comes from /proc/<pid>/stat (field 22, clock ticks since boot) on Linux; where
 * there is no /proc it is null and only the pid can be checked.
 * Signalling is stricter (isSameProcess): a process is signalled only when its start time is known
 * and matches; where there is no /proc, `ps -o lstart=` gives the start time instead.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** Start time in the platform's own unit (Linux: clock ticks since boot); null when unknown. */
  startTime: string | null;
}

/** Is some process with this pid running (or a zombie)? EPERM means it exists but is not ours. */
export function isPidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Field 22 (starttime) of a /proc/<pid>/stat line; the command name (field 2) may hold spaces and ')'. */
export function parseProcStatStartTime(stat: string): string | null {
  const close = stat.lastIndexOf(')');
  if (close === -1) return null;
  const start = stat.slice(close + 2).split(' ')[22 - 3]; // index 19 after pid and comm
  return start && /^\d+$/.test(start) ? start : null;
}

/** The start time of a running process, or null (no /proc, or no such process). */
export function processStartTime(pid: number): string | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    return parseProcStatStartTime(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/**
 * The start time as an opaque token for proving identity before a signal: /proc where there is one,
 * else `ps -o lstart=` (macOS, BSD); null on Windows or when the process does not exist.
 */
export function processStartToken(pid: number): string | null {
  if (process.platform === 'linux') return processStartTime(pid);
  if (process.platform === 'win32' || !Number.isInteger(pid) || pid <= 0) return null;
  try {
    const out = execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return out || null;
  } catch {
    return null;
  }
}

/** True only when `pid` runs and started at `startTime`: the same process, not a reused pid (strict: no start time proves nothing). */
export function isSameProcess(pid: number, startTime: string | undefined | null): boolean {
  if (!startTime) return false;
  return processStartToken(pid) === startTime;
}

export function currentProcessIdentity(): ProcessIdentity {
  return { pid: process.pid, startTime: processStartTime(process.pid) };
}

/**
 * Is the process this identity was recorded for still running? A live pid with another start time
 * is a different process that reused the pid: not the recorded one.
 */
export function isSameProcessAlive(id: ProcessIdentity): boolean {
  if (!isPidAlive(id.pid)) return false;
  if (id.startTime === null) return true;
  const now = processStartTime(id.pid);
  return now === null ? true : now === id.startTime;
}

/** "pid=123 start=456" — for lock reasons and log lines; parsed back by {@link parseProcessIdentity}. */
export function formatProcessIdentity(id: ProcessIdentity): string {
  return `pid=${id.pid}${id.startTime !== null ? ` start=${id.startTime}` : ''}`;
}

export function parseProcessIdentity(text: string): ProcessIdentity | null {
  const m = /pid=(\d+)(?: start=(\d+))?/.exec(text);
  return m ? { pid: Number(m[1]), startTime: m[2] ?? null } : null;
}
