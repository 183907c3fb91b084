/**
 * The environment every process of an instance gets (its agent, its setup and teardown commands, its
 * terminal, and later its evaluation): who it is, where it lives, its port block, plus the `env` of
 * `.axiom.json` with its placeholders filled. Values go in as environment variables — never spliced
 * into a command line — so an id or a path can never become shell syntax.
 */
import { AxiomError } from '../errors';

/** What the environment is built from (an instance's metadata and path). */
export interface InstanceEnvSource {
  id: string;
  worktree: string;
  base: string;
  ports: readonly number[];
  /** `env` of the worktree configuration, placeholders already filled (see {@link fillPlaceholders}). */
  env?: Readonly<Record<string, string>>;
}

/** Names the configuration may not set: they describe the instance and are always Axiom's. */
export const RESERVED_ENV = /^AXIOM_/i;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The variables to add for an instance: AXIOM_INSTANCE_ID, AXIOM_WORKTREE, AXIOM_BASE, AXIOM_PORT
 * (first port of the block) and AXIOM_PORTS (comma list) when it has ports, the configured `env`, and
 * PORT = AXIOM_PORT unless PORT is already set — in `inherited` (the environment the process starts
 * from) or by the configured `env`.
 */
export function instanceEnv(
  source: InstanceEnvSource,
  inherited: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const out: Record<string, string> = {
    AXIOM_INSTANCE_ID: source.id,
    AXIOM_WORKTREE: source.worktree,
    AXIOM_BASE: source.base,
  };
  if (source.ports.length > 0) {
    out.AXIOM_PORT = String(source.ports[0]);
    out.AXIOM_PORTS = source.ports.join(',');
  }
  for (const [k, v] of Object.entries(source.env ?? {})) if (!RESERVED_ENV.test(k)) out[k] = v;
  if (source.ports.length > 0 && inherited.PORT === undefined && out.PORT === undefined)
    out.PORT = String(source.ports[0]);
  return out;
}

export interface PlaceholderValues {
  id: string;
  worktree: string;
  base: string;
  ports: readonly number[];
}

const PLACEHOLDER = /\{([a-z]+)(?:\+(\d+))?\}/g;

/**
 * Fills `{id}`, `{worktree}`, `{base}`, `{port}`, `{port+N}` (N-th port after the first) and `{ports}`
 * (comma list). Anything else in braces stays as written. A port placeholder beyond the block is an
 * error that names the variable, so a typo never becomes an empty value silently.
 */
export function fillPlaceholders(template: string, values: PlaceholderValues, where: string): string {
  return template.replace(PLACEHOLDER, (whole, name: string, offset: string | undefined) => {
    if (name === 'port') {
      const n = offset === undefined ? 0 : Number(offset);
      if (n >= values.ports.length) {
        throw new AxiomError(
          'InvalidConfig',
          `${where} uses ${whole}, but the instance has ${values.ports.length === 0 ? 'no ports' : `only ${values.ports.length} port(s) ({port} … {port+${values.ports.length - 1}})`}: raise "ports" in .axiom.json.`,
        );
      }
      return String(values.ports[n]);
    }
    if (offset !== undefined) return whole;
    if (name === 'id') return values.id;
    if (name === 'worktree') return values.worktree;
    if (name === 'base') return values.base;
    if (name === 'ports') return values.ports.join(',');
    return whole;
  });
}

/** The highest `{port+N}` a template uses (0 for `{port}`), or -1 when it uses none: checked before ports are leased. */
export function portsNeeded(template: string): number {
  let max = -1;
  for (const m of template.matchAll(PLACEHOLDER)) {
    if (m[1] === 'port') max = Math.max(max, m[2] === undefined ? 0 : Number(m[2]));
  }
  return max;
}

/** Variables that would point git in a child process at another repository than the instance's worktree. */
export const GIT_REDIRECTS = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_COMMON_DIR',
  'GIT_OBJECT_DIRECTORY',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
];

/** The whole environment of a process of the instance: `inherited` minus git redirections, plus {@link instanceEnv}. */
export function instanceProcessEnv(
  source: InstanceEnvSource,
  inherited: Readonly<Record<string, string | undefined>> = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(inherited))
    if (v !== undefined && !GIT_REDIRECTS.includes(k.toUpperCase())) env[k] = v;
  return { ...env, ...instanceEnv(source, inherited) };
}
