/**
 * Review comments on an instance's changes, through VS Code's Comments API: in its diff (Show
 * Changes, a file's diff) or any editor of a file in its worktree, a comment on a line waits as
 * "not sent"; Send Review to Agent types them all, with file and line, into that instance's agent
 * terminal as one message.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AxiomError, plural, type WorktreeStatus } from '../core';
import { REVIEW_CONTROLLER_ID } from './commandIds';
import { sendToAgent } from './agentMessages';
import type { Invocation } from './invocation';
import type { Repositories } from './repositories';
import type { RepositoryModel } from './repositoryModel';
import type { TerminalManager } from './terminals';

/** Thread context values (package.json menus key on them). */
export const PENDING = 'axiom-review-pending';
export const SENT = 'axiom-review-sent';

class ReviewComment implements vscode.Comment {
  readonly mode = vscode.CommentMode.Preview;
  readonly author = { name: 'You' };
  readonly contextValue = 'axiom-review-comment';
  constructor(
    readonly body: string,
    readonly parent: vscode.CommentThread,
  ) {}
}

interface Owner {
  model: RepositoryModel;
  status: WorktreeStatus;
  /** The file's path inside the worktree. */
  file: string;
}

export interface SendReviewResult {
  id: string;
  comments: number;
  text: string;
  delivered: boolean;
}

function isThread(x: unknown): x is vscode.CommentThread {
  return !!x && typeof x === 'object' && 'uri' in x && 'comments' in x && Array.isArray((x as vscode.CommentThread).comments);
}

function isReply(x: unknown): x is vscode.CommentReply {
  return !!x && typeof x === 'object' && 'thread' in x && isThread((x as vscode.CommentReply).thread) && typeof (x as vscode.CommentReply).text === 'string';
}

export class Review implements vscode.Disposable {
  readonly controller: vscode.CommentController;
  private readonly threads = new Set<vscode.CommentThread>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Comments were added, sent or deleted (rows show whether a review waits). */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly repos: Repositories,
    private readonly terminals: TerminalManager,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.controller = vscode.comments.createCommentController(REVIEW_CONTROLLER_ID, 'Axiom Review');
    this.controller.options = { prompt: 'Review comment for the agent', placeHolder: 'What should the agent change here?' };
    this.controller.commentingRangeProvider = {
      provideCommentingRanges: (doc) => (this.ownerOf(doc.uri) ? [new vscode.Range(0, 0, Math.max(0, doc.lineCount - 1), 0)] : []),
    };
  }

  /** The instance whose worktree holds this file (files on disk only: the base side of a diff takes no comments). */
  ownerOf(uri: vscode.Uri): Owner | undefined {
    if (uri.scheme !== 'file') return undefined;
    const file = path.resolve(uri.fsPath);
    for (const model of this.repos.models()) {
      for (const status of model.instances()) {
        const rel = path.relative(path.resolve(status.path), file);
        if (rel && !rel.startsWith('..') && !path.isAbsolute(rel)) return { model, status, file: rel.split(path.sep).join('/') };
      }
    }
    return undefined;
  }

  /** Add Review Comment (the button under a comment box). */
  add(reply: vscode.CommentReply): vscode.CommentThread {
    const owner = this.ownerOf(reply.thread.uri);
    if (!owner) throw new AxiomError('NotFound', 'Review comments go on files of an instance (in its diff or its worktree).');
    const text = reply.text.trim();
    if (!text) throw new AxiomError('InvalidArgument', 'The comment is empty.');
    const thread = reply.thread;
    thread.comments = [...thread.comments, new ReviewComment(text, thread)];
    thread.contextValue = PENDING;
    thread.label = `For ${owner.status.id}'s agent · not sent yet`;
    thread.canReply = true;
    this.threads.add(thread);
    this.changed.fire();
    return thread;
  }

  /** Comments on this instance's files that were not sent yet, by file and line. */
  pending(model: RepositoryModel, id: string): vscode.CommentThread[] {
    return [...this.threads]
      .filter((t) => t.contextValue === PENDING && t.comments.length > 0)
      .filter((t) => {
        const o = this.ownerOf(t.uri);
        return o?.model === model && o.status.id === id;
      })
      .sort((a, b) => a.uri.fsPath.localeCompare(b.uri.fsPath) || (a.range?.start.line ?? 0) - (b.range?.start.line ?? 0));
  }

  /** Review comments on this worktree's files wait to be sent. */
  hasPending(w: WorktreeStatus): boolean {
    return [...this.threads].some((t) => t.contextValue === PENDING && t.comments.length > 0 && this.ownerOf(t.uri)?.status.path === w.path);
  }

  /** One line for the agent: "Review comments on your changes — src/a.ts line 3: … | src/b.ts lines 7-9: …". */
  message(threads: vscode.CommentThread[]): string {
    const parts = threads.map((t) => {
      const file = this.ownerOf(t.uri)?.file ?? path.basename(t.uri.fsPath);
      const start = (t.range?.start.line ?? 0) + 1;
      const end = (t.range?.end.line ?? 0) + 1;
      const where = end > start ? `${file} lines ${start}-${end}` : `${file} line ${start}`;
      const said = t.comments.map((c) => (typeof c.body === 'string' ? c.body : c.body.value).trim()).join(' / ');
      return `${where}: ${said}`;
    });
    return `Review comments on your changes — ${parts.join(' | ')}`;
  }

  /**
   * Send Review to Agent, from a comment thread (its buttons or title: text typed in its box is added
   * first), an instance row, or `{ id }`.
   */
  async send(inv: Invocation): Promise<SendReviewResult> {
    const first = inv.raw[0];
    let model: RepositoryModel;
    let status: WorktreeStatus;
    if (isReply(first) || isThread(first)) {
      const thread = isReply(first) ? first.thread : first;
      if (isReply(first) && first.text.trim()) this.add(first);
      const owner = this.ownerOf(thread.uri);
      if (!owner) throw new AxiomError('NotFound', 'This comment is not on a file of an instance.');
      ({ model, status } = owner);
    } else if (inv.node?.kind === 'worktree' || inv.node?.kind === 'file' || inv.args?.id) {
      ({ model, status } = await inv.instance(this.repos));
    } else {
      ({ model, status } = await inv.instance(this.repos, (w) => this.hasPending(w), 'Send Review to Agent'));
    }
    const id = status.id!;
    const threads = this.pending(model, id);
    if (threads.length === 0) throw new AxiomError('NotFound', `There are no review comments on ${id} to send: add some in its diff (Show Changes) first.`);
    const text = this.message(threads);
    const delivery = sendToAgent(this.terminals, model, model.find(id) ?? status, text);
    if ('refused' in delivery) throw new AxiomError('AgentNotRunning', `The review for ${id} was not sent: ${delivery.refused}. The comments stay.`);
    for (const t of threads) {
      t.contextValue = SENT;
      t.label = `Sent to ${id}'s agent`;
      t.canReply = false;
      t.state = vscode.CommentThreadState.Resolved;
    }
    this.changed.fire();
    this.log.info(`Sent ${plural(threads.length, 'review comment')} to the agent of ${id}.`);
    void vscode.window.showInformationMessage(`Sent ${plural(threads.length, 'review comment')} to the agent of ${id}.`);
    return { id, comments: threads.length, text, delivered: true };
  }

  /** Delete Review Comment: the whole thread (from its title) or one comment of it. */
  delete(target: unknown): void {
    const thread = isThread(target) ? target : target instanceof ReviewComment ? target.parent : undefined;
    if (!thread) return;
    if (target instanceof ReviewComment && thread.comments.length > 1) {
      thread.comments = thread.comments.filter((c) => c !== target);
      return;
    }
    this.threads.delete(thread);
    thread.dispose();
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
    for (const t of this.threads) t.dispose();
    this.threads.clear();
    this.controller.dispose();
  }
}
