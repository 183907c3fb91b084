/** Headless agent processes recorded in an instance's admin dir: stop them before cleanup. */
import { isProcessAlive, readProcessRecord } from './agentState';

export async function stopHeadlessAgent(adminDir: string, graceMs = 2000): Promise<boolean> {
  const rec = await readProcessRecord(adminDir);
  if (!rec || rec.endedAt || !isProcessAlive(rec.pid)) return false;
  const kill = (sig: NodeJS.Signals): void => {
    try {
      // The agent runs in its own process group: stop its children too.
      process.kill(-rec.pid, sig);
    } catch {
      try {
        process.kill(rec.pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  kill('SIGTERM');
  const until = Date.now() + graceMs;
  while (Date.now() < until && isProcessAlive(rec.pid)) await new Promise((r) => setTimeout(r, 50));
  if (isProcessAlive(rec.pid)) kill('SIGKILL');
  return true;
}
