/**
 * Commits the engine writes (salvage, worktree-less merges) need an identity. When the user has
 * none configured, salvage must still succeed, so it falls back to a fixed Axiom identity.
 */
import type { GitRunner } from './git';

export const FALLBACK_IDENTITY = { name: 'Axiom Worktrees', email: 'axiom@localhost' };

export async function identityEnv(git: GitRunner, cwd: string): Promise<Record<string, string> | undefined> {
  const r = await git.run(cwd, ['var', 'GIT_COMMITTER_IDENT'], { readOnly: true, okExitCodes: [128, 1] });
  if (r.exitCode === 0) return undefined;
  return {
    GIT_AUTHOR_NAME: FALLBACK_IDENTITY.name,
    GIT_AUTHOR_EMAIL: FALLBACK_IDENTITY.email,
    GIT_COMMITTER_NAME: FALLBACK_IDENTITY.name,
    GIT_COMMITTER_EMAIL: FALLBACK_IDENTITY.email,
  };
}
