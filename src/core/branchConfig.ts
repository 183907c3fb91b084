/**
 * The `branch.<name>.*` section git keeps for a branch (upstream, merge, description), removed with
 * the branch. `git config --remove-section` edits only the repository's own config file, so when
 * that file does not name the branch there is nothing to remove and no git process is started (a
 * landing deletes several branches, each of which would cost one).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { GitRunner } from './git';
import type { RepoInfo } from './repo';

export async function removeBranchConfig(git: GitRunner, repo: RepoInfo, branch: string): Promise<void> {
  let text: string | null = null;
  try {
    text = fs.readFileSync(path.join(repo.commonDir, 'config'), 'utf8');
  } catch {
    /* unreadable: let git decide */
  }
  // A name with characters the file escapes (" and \) is not searched for: git is asked.
  const plain = !/["\\]/.test(branch);
  if (text !== null && plain && !text.includes(branch)) return;
  await git.run(repo.commonDir, ['config', '--remove-section', `branch.${branch}`], { okExitCodes: [1, 128] });
}
