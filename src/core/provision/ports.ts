/**
 * Port blocks: each instance that asks for ports leases a block of consecutive free TCP ports that no
 * other live instance on this machine holds. The leases live in one machine-wide registry file,
 * changed only under a `proper-lockfile` lock, so concurrent spawns from any process and any
 * repository never get overlapping blocks. A port is "free" when binding it succeeds right now.
 * Leases of instances that are gone (cleaned up by hand, a crashed spawn) are dropped when found.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as lockfile from 'proper-lockfile';
import { AxiomError } from '../errors';
import { isProcessAlive } from '../processes/agentState';
import { readAdminEntries } from '../instances/metadata';

export interface PortLease {
  ports: number[];
  /** The repository's git common dir and the instance id: together they name the instance. */
  commonDir: string;
  id: string;
  /** The process that leased it and when: a lease whose spawn has not written metadata yet is live while that process is. */
  pid: number;
  leasedAt: string;
}

interface Registry {
  version: 1;
  leases: PortLease[];
}

/** How long a lease without metadata stays reserved for the live process that took it (a spawn in progress). */
const PENDING_GRACE_MS = 10 * 60_000;

/** The machine-wide registry: `$AXIOM_STATE_DIR/ports.json`, else the user's state folder. */
export function portRegistryFile(): string {
  const dir =
    process.env.AXIOM_STATE_DIR ||
    (process.platform === 'win32'
      ? path.join(process.env.LOCALAPPDATA || path.join(os.homedir(), 'AppData', 'Local'), 'axiom-worktrees')
      : path.join(
          process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state'),
          'axiom-worktrees',
        ));
  return path.join(dir, 'ports.json');
}

function readRegistry(file: string): Registry {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Registry;
    if (parsed && Array.isArray(parsed.leases))
      return { version: 1, leases: parsed.leases.filter((l) => Array.isArray(l.ports)) };
  } catch {
    /* missing or unreadable: start empty (leases are re-validated against metadata anyway) */
  }
  return { version: 1, leases: [] };
}

function writeRegistry(file: string, reg: Registry): void {
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(reg, null, 2) + '\n');
  fs.renameSync(tmp, file);
}

async function withRegistry<T>(work: (reg: Registry) => Promise<{ value: T; changed: boolean }>): Promise<T> {
  const file = portRegistryFile();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(file, {
      lockfilePath: `${file}.lock`,
      realpath: false,
      stale: 15_000,
      update: 5_000,
      retries: { retries: 2400, factor: 1, minTimeout: 25, maxTimeout: 50, randomize: true },
      onCompromised: () => undefined,
    });
  } catch (e) {
    throw new AxiomError(
      'Locked',
      `Another process is leasing ports (lock ${file}.lock). Try again in a moment.`,
      { stderr: String(e) },
    );
  }
  try {
    const reg = readRegistry(file);
    const { value, changed } = await work(reg);
    if (changed) writeRegistry(file, reg);
    return value;
  } finally {
    await release().catch(() => undefined);
  }
}

/** Is the lease still held by an instance (its metadata records these ports) or by a spawn in progress? */
async function isLive(
  lease: PortLease,
  metadataCache: Map<string, Promise<Map<string, number[]>>>,
): Promise<boolean> {
  let byId = metadataCache.get(lease.commonDir);
  if (!byId) {
    byId = readAdminEntries(lease.commonDir).then((entries) => {
      const m = new Map<string, number[]>();
      for (const e of entries) if (e.metadata) m.set(e.metadata.id, e.metadata.ports ?? []);
      return m;
    });
    metadataCache.set(lease.commonDir, byId);
  }
  const recorded = (await byId).get(lease.id);
  if (recorded && recorded.join(',') === lease.ports.join(',')) return true;
  return !recorded && isProcessAlive(lease.pid) && Date.now() - Date.parse(lease.leasedAt) < PENDING_GRACE_MS;
}

/** Can a TCP server listen on `port` (all interfaces) right now? */
export function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * Leases `count` consecutive free ports from `range` for instance `id` of the repository at
 * `commonDir`: always a new block, so a refused spawn of an id that exists never touches the
 * existing instance's lease (release is by id and ports).
 */
export async function leasePorts(
  commonDir: string,
  id: string,
  count: number,
  range: readonly [number, number],
): Promise<number[]> {
  if (count <= 0) return [];
  return withRegistry(async (reg) => {
    const cache = new Map<string, Promise<Map<string, number[]>>>();
    const live: PortLease[] = [];
    for (const l of reg.leases) if (await isLive(l, cache)) live.push(l);
    reg.leases = live;
    const taken = new Set(live.flatMap((l) => l.ports));
    for (let start = range[0]; start + count - 1 <= range[1]; start++) {
      const block = Array.from({ length: count }, (_, i) => start + i);
      const clash = block.findIndex((p) => taken.has(p));
      if (clash !== -1) {
        start += clash; // the next block that can work starts after the taken port
        continue;
      }
      let free = true;
      for (let i = 0; i < block.length; i++) {
        if (!(await canBind(block[i]!))) {
          free = false;
          start += i;
          break;
        }
      }
      if (!free) continue;
      reg.leases.push({ ports: block, commonDir, id, pid: process.pid, leasedAt: new Date().toISOString() });
      return { value: block, changed: true };
    }
    throw new AxiomError(
      'LimitReached',
      `No block of ${count} free ports is left in ${range[0]}-${range[1]} (${taken.size} leased by live instances, the rest in use). Clean up instances or widen "portRange" in .axiom.json.`,
    );
  });
}

/** Drops the lease of exactly this block of this instance (cleanup, or a spawn that was rolled back). */
export async function releasePorts(commonDir: string, id: string, ports: readonly number[]): Promise<void> {
  if (ports.length === 0) return;
  const key = ports.join(',');
  await withRegistry(async (reg) => {
    const before = reg.leases.length;
    reg.leases = reg.leases.filter(
      (l) => !(l.commonDir === commonDir && l.id === id && l.ports.join(',') === key),
    );
    return { value: undefined, changed: reg.leases.length !== before };
  });
}

/** Every lease in the registry (for diagnostics and tests). */
export function readLeases(): PortLease[] {
  return readRegistry(portRegistryFile()).leases;
}
