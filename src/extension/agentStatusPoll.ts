/**
 * Backstop for the admin-dir watcher: its events for files in a worktree created after it started do
 * not always come (seen in code-server), and an agent's phase must never go stale — notifications and
 * the badge depend on it. Once a second, one stat of each agent's status and process files; a change
 * refreshes the model.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type * as vscode from 'vscode';
import { PROCESS_FILE, STATUS_FILE } from '../core';
import type { Repositories } from './repositories';

const POLL_MS = 1000;

export class AgentStatusPoll implements vscode.Disposable {
  private readonly seen = new Map<string, string>();
  private readonly timer: ReturnType<typeof setInterval>;
  private running = false;

  constructor(private readonly repos: Repositories) {
    this.timer = setInterval(() => void this.poll(), POLL_MS);
  }

  private async poll(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (const model of this.repos.models()) {
        const changed: string[] = [];
        // A file first seen here but written after the model's snapshot was taken is news too: the
        // instance may have appeared and its agent reported within one poll interval (a 2 s margin
        // covers a write during the snapshot; an extra refresh costs little).
        const takenAt = Date.parse(model.snapshot?.takenAt ?? '') || 0;
        for (const w of model.instances()) {
          if (!w.adminDir || (w.launch === 'none' && w.agentState.phase === 'unknown' && !w.agent)) continue;
          let moved = false;
          for (const file of [STATUS_FILE, PROCESS_FILE]) {
            const p = path.join(w.adminDir, file);
            const st = await fs.stat(p).catch(() => null);
            const key = st ? `${st.size}:${st.mtimeMs}` : '';
            if (this.seen.has(p) ? this.seen.get(p) !== key : st !== null && st.mtimeMs > takenAt - 2000) moved = true;
            this.seen.set(p, key);
          }
          if (moved) changed.push(w.path);
        }
        // Named: the refresh trusts the list (engine `trustChanged`).
        if (changed.length > 0) model.changed(changed);
      }
    } finally {
      this.running = false;
    }
  }

  dispose(): void {
    clearInterval(this.timer);
  }
}
