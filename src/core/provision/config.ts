/**
 * Engine settings live in the repository's git config (`axiom.*`) so the CLI, the MCP server and
 * the extension agree; an explicit option from a caller always wins.
 */
import type { GitRunner } from '../git/git';
import { DEFAULT_DIR_TEMPLATE } from '../instances/ids';
import { memoized } from '../instances/operationMemo';

export interface AxiomSettings {
  maxInstances: number;
  worktreeDir: string;
  defaultBase: string | null;
  salvageDays: number;
  /** Claude Code's --permission-mode for agents Axiom starts (git config axiom.claudePermissionMode). */
  claudePermissionMode: string | null;
  /**
   * How long an agent whose turn failed (Claude's StopFailure) may wait before a race counts it as
   * finished and failed (git config axiom.agentFailureGraceSeconds; 0 = at once).
   */
  agentFailureGraceSeconds: number;
}

export const DEFAULT_SETTINGS: AxiomSettings = {
  maxInstances: 10,
  worktreeDir: DEFAULT_DIR_TEMPLATE,
  defaultBase: null,
  salvageDays: 30,
  claudePermissionMode: null,
  agentFailureGraceSeconds: 10,
};

const KEYS: Record<string, keyof AxiomSettings> = {
  'axiom.maxinstances': 'maxInstances',
  'axiom.worktreedir': 'worktreeDir',
  'axiom.defaultbase': 'defaultBase',
  'axiom.salvagedays': 'salvageDays',
  'axiom.claudepermissionmode': 'claudePermissionMode',
  'axiom.agentfailuregraceseconds': 'agentFailureGraceSeconds',
};

/** Parses `git config -z --get-regexp ^axiom\.` output ("key\nvalue\0"). */
export function parseAxiomConfig(out: string): Partial<AxiomSettings> {
  const result: Partial<AxiomSettings> = {};
  for (const entry of out.split('\0')) {
    if (!entry) continue;
    const nl = entry.indexOf('\n');
    const key = (nl === -1 ? entry : entry.slice(0, nl)).toLowerCase();
    const value = nl === -1 ? '' : entry.slice(nl + 1);
    const name = KEYS[key];
    if (!name) continue;
    if (name === 'maxInstances' || name === 'salvageDays') {
      const n = Number(value);
      if (Number.isInteger(n) && n > 0) result[name] = n;
    } else if (name === 'agentFailureGraceSeconds') {
      const n = Number(value);
      if (Number.isInteger(n) && n >= 0) result[name] = n;
    } else if (value.trim() !== '') {
      result[name] = value.trim();
    }
  }
  return result;
}

/** The `axiom.*` settings of git config (read once per composite operation, see operationMemo.ts). */
export async function readSettings(git: GitRunner, cwd: string): Promise<AxiomSettings> {
  return memoized(`settings:${cwd}`, async () => {
    const { stdout } = await git.run(cwd, ['config', '-z', '--get-regexp', '^axiom\\.'], { readOnly: true, okExitCodes: [1] });
    return { ...DEFAULT_SETTINGS, ...parseAxiomConfig(stdout) };
  });
}
