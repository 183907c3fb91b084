/**
 * Where a pull request can be opened by hand: the remote's web address from its git URL, and the
 * compare page of a branch against its base. Pure (strings in, strings out): no network, no git.
 *
 * Forms understood (git's own rules): `https://[user[:pass]@]host[:port]/owner/repo(.git)`,
 * `http://…`, `ssh://[user@]host[:port]/owner/repo(.git)`, `git://host/…`, and the scp-like
 * `[user@]host:owner/repo(.git)` (a colon before the first slash). Local paths and `file://` are
 * no web address. Credentials in a URL are never carried into the answer.
 */

export type HostKind = 'github' | 'gitlab' | 'bitbucket' | 'generic';

export interface WebRepo {
  /** `https://host/owner/repo` (http when the remote itself is plain http). */
  web: string;
  /** The host name (with a port for http(s) remotes on another port). */
  host: string;
  /** `owner/repo`, or `group/subgroup/repo` on hosts with nested groups. */
  path: string;
  kind: HostKind;
}

function kindOf(host: string): HostKind {
  const h = host.toLowerCase().replace(/:\d+$/, '');
  if (h === 'github.com' || h.endsWith('.github.com')) return 'github';
  if (h.split('.').includes('gitlab')) return 'gitlab';
  if (h === 'bitbucket.org') return 'bitbucket';
  return 'generic';
}

function cleanPath(p: string): string | null {
  const trimmed = p.replace(/^\/+/, '').replace(/\/+$/, '').replace(/\.git$/, '');
  // At least owner/repo; no empty, `.` or `..` segment (never a path outside the host's tree).
  const parts = trimmed.split('/');
  if (parts.length < 2 || parts.some((s) => s === '' || s === '.' || s === '..')) return null;
  return parts.join('/');
}

/** The web repository of a remote URL, or null for a local path, `file://` or anything not understood. */
export function webRepoOf(remoteUrl: string): WebRepo | null {
  const url = remoteUrl.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    if (!['https', 'http', 'ssh', 'git', 'git+ssh', 'ssh+git'].includes(scheme)) return null;
    let parsed: URL;
    try {
      // `URL` parses any scheme's authority the same way when given as http.
      parsed = new URL(`http://${url.slice(scheme.length + 3)}`);
    } catch {
      return null;
    }
    if (!parsed.hostname) return null;
    const p = cleanPath(decodeURIComponent(parsed.pathname));
    if (p === null) return null;
    const web = scheme === 'http' ? 'http' : 'https';
    // A port means something on http(s) only; ssh's port is not the web server's.
    const host = (web === 'https' && scheme !== 'https') || !parsed.port ? parsed.hostname : `${parsed.hostname}:${parsed.port}`;
    return { web: `${web}://${host}/${p}`, host, path: p, kind: kindOf(host) };
  }
  // scp-like: [user@]host:path, with the colon before any slash (git's rule; `./a:b` is a path).
  const scp = /^(?:[^@/:]+@)?([^@/:]+):(.+)$/.exec(url);
  if (!scp || scp[1]!.length < 2) return null; // `C:\…` or `c:/…` is a Windows path
  const host = scp[1]!;
  const p = cleanPath(scp[2]!);
  if (p === null) return null;
  return { web: `https://${host}/${p}`, host, path: p, kind: kindOf(host) };
}

/** A branch name in a URL path: slashes kept (hosts read them as part of the name), the rest escaped. */
function encodeBranch(branch: string): string {
  return branch.split('/').map(encodeURIComponent).join('/');
}

/**
 * The page where a pull (merge) request of `branch` into `base` is opened by hand; null when the
 * remote has no web address Axiom knows. GitLab's page is under `/-/compare/`; Bitbucket has none of
 * this form (its pull request page takes the branch as a parameter).
 */
export function compareUrlOf(remoteUrl: string, base: string, branch: string): string | null {
  const repo = webRepoOf(remoteUrl);
  if (!repo) return null;
  const range = `${encodeBranch(base)}...${encodeBranch(branch)}`;
  switch (repo.kind) {
    case 'gitlab':
      return `${repo.web}/-/compare/${range}`;
    case 'bitbucket':
      return `${repo.web}/pull-requests/new?source=${encodeURIComponent(branch)}&dest=${encodeURIComponent(base)}`;
    default:
      return `${repo.web}/compare/${range}`;
  }
}
