/**
 * The one place where command failures become UI: every command runs through `register`, which
 * checks workspace trust, turns AxiomErrors into messages with helpful actions, and (for callers
 * that passed an argument object, i.e. tests and other extensions) rethrows the original error.
 */
import * as vscode from 'vscode';
import { AxiomError, REFUSAL_CODES, isAxiomError } from '../core';
import { Commands, type CommandId } from './commandIds';
import { Cancelled, Invocation } from './invocation';
import { vscodeHint } from './refusals';

export interface UiAction {
  title: string;
  run: () => unknown;
}

export interface ActionableOptions {
  /** A modal dialog (it can carry the whole list of files and commits); the first action is its default button. */
  modal?: boolean;
  /** The dialog's text under the first line of the message, when the message's own lines are not the best words. */
  detail?: string;
}

/** An error with actions the user can take from its message (e.g. "Merge…", "Clean Up Anyway"). */
export class ActionableError extends Error {
  constructor(
    readonly inner: unknown,
    readonly actions: UiAction[],
    readonly options: ActionableOptions = {},
  ) {
    super(inner instanceof Error ? inner.message : String(inner));
    this.name = 'ActionableError';
  }
}

export interface CommandSpec {
  id: CommandId;
  /** Runs git writes, terminals or agents: refused in an untrusted workspace. */
  runs: boolean;
  handler: (inv: Invocation) => Promise<unknown>;
}

export function register(spec: CommandSpec, log: vscode.LogOutputChannel): vscode.Disposable {
  return vscode.commands.registerCommand(spec.id, async (...raw: unknown[]) => {
    const inv = new Invocation(raw);
    try {
      if (spec.runs && !vscode.workspace.isTrusted) {
        throw new ActionableError(
          new AxiomError('Untrusted', 'This workspace is not trusted: Axiom lists worktrees but runs no git change, terminal or agent here.'),
          [{ title: 'Manage Workspace Trust', run: () => vscode.commands.executeCommand('workbench.trust.manage') }],
        );
      }
      return await spec.handler(inv);
    } catch (e) {
      if (e instanceof Cancelled) {
        if (inv.headless) throw e;
        return undefined;
      }
      report(spec.id, e, log, inv.headless);
      if (inv.headless) throw e instanceof ActionableError ? e.inner : e;
      return undefined;
    }
  });
}

function report(id: string, e: unknown, log: vscode.LogOutputChannel, headless: boolean): void {
  const inner = e instanceof ActionableError ? e.inner : e;
  const actions: UiAction[] = e instanceof ActionableError ? [...e.actions] : [];
  const refusal = isAxiomError(inner) && REFUSAL_CODES.has(inner.code);
  const expected = isAxiomError(inner) && inner.code !== 'GitFailed';
  log[expected ? 'warn' : 'error'](`${id} failed:`, inner instanceof AxiomError ? JSON.stringify(inner.toJSON()) : inner);
  if (!expected) actions.push({ title: 'Show Log', run: () => vscode.commands.executeCommand(Commands.showLog) });

  const hint = isAxiomError(inner) ? vscodeHint(inner) : '';
  const text = `${inner instanceof Error ? inner.message : String(inner)}${hint ? ` ${hint}` : ''}`;
  const [first, ...rest] = text.split('\n');
  // A modal dialog can carry the whole list (files, commits); a notification gets one line.
  const modal = e instanceof ActionableError && e.options.modal === true && !headless;
  const message = modal ? first! : text.replace(/\n\s*/g, ' ');
  const detail = e instanceof ActionableError && e.options.detail !== undefined ? e.options.detail : rest.join('\n');
  const options: vscode.MessageOptions = modal ? { modal: true, detail } : {};
  const show = refusal ? vscode.window.showWarningMessage : vscode.window.showErrorMessage;
  // Not awaited: the command finishes now; an action runs if the user picks it later.
  void show(message, options, ...actions.map((a) => a.title)).then((picked) => {
    const action = actions.find((a) => a.title === picked);
    if (action) return Promise.resolve(action.run()).catch((err: unknown) => log.error('Action failed:', err));
    return undefined;
  });
}
