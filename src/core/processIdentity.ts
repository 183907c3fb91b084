/**
 * Which process is which: a pid alone can be reused by an unrelated process, so Axiom records the
 * pid together with the process's start time and trusts a record only while both still match.
 * The start time comes from /proc/<pid>/stat (field 22, clock ticks since boot) on Linux; where
 * there is no /proc it is null and only the pid can be checked.
 */
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

/** The start time of a running process, or null (no /proc, or no such process). */
export function processStartTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces and ')': split after the last one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null; // field 22 overall = index 19 after pid and comm
  } catch {
    return null;
  }
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
