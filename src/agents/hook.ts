/**
 * `dist/hook.js <adminDir> <Event>`: run by Claude Code hooks. Appends one JSON line to the
 * instance's status file; the snapshot reads the phase from the last line. Never fails the agent.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { phaseForEvent, STATUS_FILE } from '../core/agentState';

function main(): void {
  const [adminDir, event] = process.argv.slice(2);
  if (!adminDir || !event || !fs.existsSync(adminDir)) return;
  let input = '';
  try {
    input = fs.readFileSync(0, 'utf8');
  } catch {
    /* no stdin */
  }
  let detail: string | undefined;
  try {
    const payload = JSON.parse(input) as { message?: string; tool_name?: string };
    detail = payload.message ?? payload.tool_name;
  } catch {
    /* not JSON: keep the event only */
  }
  const line = { event, phase: phaseForEvent(event), at: new Date().toISOString(), ...(detail ? { detail: String(detail).slice(0, 200) } : {}) };
  fs.appendFileSync(path.join(adminDir, STATUS_FILE), JSON.stringify(line) + '\n');
}

try {
  main();
} catch {
  /* a hook must never break the agent */
}
