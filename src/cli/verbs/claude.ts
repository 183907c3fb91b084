/**
 * `axiom claude hooks install|uninstall|status [--scope …]`: Axiom's Claude Code worktree hooks in a
 * Claude settings file (agents/claudeHooksSettings.ts).
 * `axiom claude hook worktree-create|worktree-remove [--untrusted]`: what those hooks run, with
 * Claude Code's JSON payload on stdin (agents/claudeWorktrees.ts). Create prints only the worktree's
 * path on stdout; remove never fails Claude (exit 0, the reason on stderr) and never keeps it waiting
 * longer than axiom.claudeHookTimeoutSeconds: the cleanup runs in its own process, which finishes
 * in the background when it takes longer.
 */
import { HOOK_SCOPES, type HookScope } from '../../agents/names';
import type { HookCli } from '../../agents/claudeHooksSettings';
import { selfCommand } from '../completion';
import { EXIT, exitCodeOf, need, noExtra, stringOption, UsageError, type ExitCode, type Verb, type VerbContext } from '../context';
import { formatProgress } from './spawn';
import { backend } from '../lazy';

export const claude: Verb = {
  usage: [
    'claude hooks install|uninstall|status [--scope project|local|user]   Claude Code\'s worktrees become Axiom instances',
    'claude hook worktree-create|worktree-remove [--untrusted]           run by those hooks (payload JSON on stdin)',
  ],
  summary:
    "Installs, removes or shows Axiom's WorktreeCreate/WorktreeRemove hooks in a Claude Code settings file, so `claude --worktree` and subagent worktrees become Axiom instances (and their work is salvaged when Claude removes them); `claude hook …` is what the hooks run.",
  options: {
    scope: {
      type: 'string',
      value: 'project|local|user',
      description: 'hooks: the settings file — project .claude/settings.json, local .claude/settings.local.json, user ~/.claude/settings.json ($CLAUDE_CONFIG_DIR).',
      default: 'project (status: every scope)',
      complete: HOOK_SCOPES,
    },
    untrusted: {
      type: 'boolean',
      description: "hook: run the repository's setup commands not at all — a worktree whose .axiom.json has setup is refused (what user-scope hooks pass).",
    },
    instance: {
      type: 'string',
      value: '<id>',
      description: 'hook worktree-remove: clean up this instance now, in this process (what the hook starts in the background).',
      complete: 'instance',
    },
  },
  operands: ['hooks', 'hook', 'install', 'uninstall', 'status', 'worktree-create', 'worktree-remove'],
  examples: [
    'axiom claude hooks install                # this repository: .claude/settings.json',
    'axiom claude hooks status --json          # what is installed in each scope',
    'echo \'{"name":"feat-x","session_id":"…"}\' | axiom claude hook worktree-create   # prints the new worktree\'s path',
  ],
  async run(ctx) {
    const what = need(ctx.args, 0, 'claude subcommand (hooks or hook)');
    if (what === 'hooks') return hooks(ctx);
    if (what === 'hook') return hook(ctx);
    throw new UsageError(`Unknown claude subcommand ${JSON.stringify(what)} (use hooks or hook).`);
  },
};

/** This installation's CLI by absolute path: the Node running it and dist/cli.js. */
function hookCli(): HookCli {
  const [node, script] = selfCommand();
  if (!script) throw new (backend().AxiomError)('NotFound', "Cannot find this installation's cli.js to run from Claude's settings: run the built CLI (dist/cli.js).");
  return backend().hookCliOf(node!, undefined, script);
}

function scopeOption(ctx: VerbContext): HookScope | undefined {
  const s = stringOption(ctx.values, 'scope');
  if (s === undefined) return undefined;
  if (!(HOOK_SCOPES as readonly string[]).includes(s)) throw new UsageError(`--scope takes project, local or user (got ${JSON.stringify(s)}).`);
  return s as HookScope;
}

/** The repository's main worktree (where .claude/ lives), or null outside a repository. */
async function repoRoot(ctx: VerbContext, needed: boolean): Promise<string | null> {
  try {
    const engine = await ctx.engine();
    return engine.repo.mainWorktree ?? null;
  } catch (e) {
    if (needed || !backend().isAxiomError(e, 'NotARepository')) throw e;
    return null;
  }
}

async function hooks(ctx: VerbContext): Promise<ExitCode> {
  const action = need(ctx.args, 1, 'hooks action (install, uninstall or status)');
  noExtra(ctx.args, 2);
  const scope = scopeOption(ctx);
  if (action === 'status') {
    const root = await repoRoot(ctx, scope !== undefined && scope !== 'user');
    const all = backend().worktreeHooksStatus(hookCli(), root);
    const rows = scope ? all.filter((s) => s.scope === scope) : all;
    ctx.print(rows, () =>
      rows
        .map((s) => {
          const head = `${s.scope.padEnd(8)} ${s.file}`;
          if (s.problem) return `${head}\n  ! ${s.problem}`;
          const create = s.events.WorktreeCreate;
          const state = s.installed
            ? 'installed (this installation)'
            : create.axiom.length || s.events.WorktreeRemove.axiom.length
              ? 'installed by another Axiom installation or partly: run axiom claude hooks install to update it'
              : s.exists
                ? 'not installed'
                : 'not installed (no such file)';
          const others = [...create.others, ...s.events.WorktreeRemove.others].map((c) => `\n  other worktree hook: ${c}`).join('');
          return `${head}\n  ${state}${others}`;
        })
        .join('\n') + '\n',
    );
    return EXIT.ok;
  }
  if (action !== 'install' && action !== 'uninstall') throw new UsageError(`Unknown hooks action ${JSON.stringify(action)} (use install, uninstall or status).`);
  const chosen = scope ?? 'project';
  const root = await repoRoot(ctx, chosen !== 'user');
  if (action === 'install') {
    const r = backend().installWorktreeHooks(hookCli(), chosen, root);
    ctx.print(r, () =>
      [
        ...r.warnings.map((w) => `warning: ${w}`),
        r.changed ? `Installed Axiom's WorktreeCreate and WorktreeRemove hooks in ${r.file} (${chosen} scope).` : `Already installed in ${r.file} (${chosen} scope); nothing changed.`,
        `  WorktreeCreate: ${r.commands.WorktreeCreate}`,
        'Now `claude --worktree <name>` (and subagents with isolation: worktree) create Axiom instances; removing one salvages its work.',
      ].join('\n') + '\n',
    );
    return EXIT.ok;
  }
  const r = backend().uninstallWorktreeHooks(chosen, root);
  ctx.print(r, () => (r.changed ? `Removed Axiom's worktree hooks from ${r.file} (${chosen} scope); everything else there stays.\n` : `No Axiom worktree hooks in ${r.file}; nothing changed.\n`));
  return EXIT.ok;
}

async function hook(ctx: VerbContext): Promise<ExitCode> {
  const step = need(ctx.args, 1, 'hook step (worktree-create or worktree-remove)');
  noExtra(ctx.args, 2);
  const untrusted = ctx.values.untrusted === true;
  if (step === 'worktree-create') return worktreeCreate(ctx, untrusted);
  if (step === 'worktree-remove') {
    const id = stringOption(ctx.values, 'instance');
    return id === undefined ? worktreeRemove(ctx, untrusted) : removeNow(ctx, id, untrusted);
  }
  throw new UsageError(`Unknown hook step ${JSON.stringify(step)} (use worktree-create or worktree-remove).`);
}

/** One line on stderr: Claude shows it when the hook fails. */
function oneLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
}

/** WorktreeCreate: only the new worktree's absolute path on stdout; a refusal is one line on stderr and a non-zero exit. */
async function worktreeCreate(ctx: VerbContext, untrusted: boolean): Promise<ExitCode> {
  try {
    const payload = backend().parsePayload(backend().readHookStdin());
    const { instance } = await backend().createForClaude(payload, { fallbackCwd: ctx.where, untrusted, onProgress: (e) => ctx.io.err(formatProgress(e)) });
    for (const w of instance.warnings) ctx.io.err(`axiom: warning: ${w}\n`);
    if (instance.setup?.state === 'failed') {
      // Like axiom spawn: a failed setup keeps the instance ("setup failed", Retry Setup); Claude gets its worktree.
      ctx.io.err(`axiom: the setup of ${instance.id} failed (${instance.setup.failedCommand ?? '?'}); log ${instance.setup.logFile}; run axiom setup ${instance.id} to retry.\n`);
    }
    ctx.io.out(`${instance.path}\n`);
    return EXIT.ok;
  } catch (e) {
    const refusal =
      untrusted && backend().isAxiomError(e, 'Untrusted')
        ? "This repository's .axiom.json has setup commands, and Axiom's hook here comes from your user settings, which trust no repository's commands: install the hooks in this repository (axiom claude hooks install --scope local) to run its setup."
        : oneLine(e);
    ctx.io.err(`axiom: ${refusal}\n`);
    return e instanceof backend().AxiomError ? (exitCodeOf(e) === EXIT.ok ? EXIT.failure : exitCodeOf(e)) : EXIT.failure;
  }
}

/**
 * WorktreeRemove: finds the instance by record, then cleans it up (forced: salvaged first) in a
 * child process and waits for it at most the bound; exit 0 whatever happens, the reason on stderr.
 */
async function worktreeRemove(ctx: VerbContext, untrusted: boolean): Promise<ExitCode> {
  try {
    const payload = backend().parsePayload(backend().readHookStdin());
    const found = await backend().findClaudeInstance(payload, ctx.where, untrusted);
    if (typeof found === 'string') {
      ctx.io.err(`axiom: ${found}\n`);
      return EXIT.ok;
    }
    const bound = await backend().removeBoundMs(found.engine);
    const repo = found.engine.repo.mainWorktree ?? found.engine.repo.commonDir;
    const child = [...hookCli().argv, '-C', repo, 'claude', 'hook', 'worktree-remove', '--instance', found.id, '--json', ...(untrusted ? ['--untrusted'] : [])];
    const r = await backend().runBounded(child, bound);
    if (!r.done) {
      const note = `the cleanup of ${found.id} takes longer than ${bound / 1000} s: it goes on in the background (pid ${r.pid}; its output goes to ${r.outFile})`;
      backend().appendInstanceLog(found.adminDir, `Claude Code's WorktreeRemove hook: ${note}`);
      ctx.io.err(`axiom: ${note}\n`);
    } else if (r.code === 0) {
      const salvageRef = /"salvageRef": "([^"]+)"/.exec(r.stdout)?.[1];
      ctx.io.err(`axiom: removed instance ${found.id}${salvageRef ? `; its work is kept in ${salvageRef} (axiom salvage restore ${salvageRef})` : ' (nothing to keep)'}\n`);
    } else {
      ctx.io.err(`axiom: could not clean up ${found.id}; it stays (see axiom status ${found.id}): ${oneLine(errorMessage(r.stdout))}\n`);
    }
  } catch (e) {
    ctx.io.err(`axiom: WorktreeRemove: ${oneLine(e)}\n`);
  }
  return EXIT.ok;
}

/** The child of worktree-remove: the forced cleanup of an instance this hook made, now. */
async function removeNow(ctx: VerbContext, id: string, untrusted: boolean): Promise<ExitCode> {
  const engine = await backend().AxiomEngine.open(ctx.where, { untrusted });
  const inst = await engine.locate(id);
  if (!backend().sourceWords(inst.metadata)) throw new (backend().AxiomError)('ForeignWorktree', `${id} was not made by Claude Code's worktree hook: left alone.`);
  const r = await backend().removeForClaude({ engine, id: inst.id, adminDir: inst.adminDir, path: inst.path });
  ctx.print(r, () => `Removed ${r.id}${r.salvageRef ? `; work kept in ${r.salvageRef}` : ''}.\n`);
  return EXIT.ok;
}

/** A `--json` error document's message, else the text itself. */
function errorMessage(text: string): string {
  try {
    return (JSON.parse(text.slice(text.indexOf('{'))) as { error: { message: string } }).error.message;
  } catch {
    return text.trim() || 'no reason given';
  }
}
