/** `diff`: changed files with line counts, and a unified patch cut at a size the client chooses. */
import { patchOf } from '../../core';
import type { McpContext } from '../context';
import { DEFAULT_PATCH_BYTES, type DiffArgs } from '../schema';

export async function diff(ctx: McpContext, args: DiffArgs): Promise<Record<string, unknown>> {
  const engine = await ctx.engine();
  const d = await engine.diff(args.instanceId);
  const result: Record<string, unknown> = {
    instanceId: d.id,
    base: d.base,
    mergeBase: d.mergeBase,
    head: d.head,
    files: d.files,
    filesChanged: d.files.length,
    added: d.added,
    deleted: d.deleted,
  };
  if (args.includePatch !== false) {
    const inst = await engine.locate(args.instanceId);
    const maxBytes = args.maxPatchBytes ?? DEFAULT_PATCH_BYTES;
    const p = await patchOf(engine.git, inst.path, d.mergeBase, maxBytes);
    result.patch = p.patch;
    result.truncated = p.truncated;
    result.maxPatchBytes = maxBytes;
    const untracked = d.files.filter((f) => !p.patch.includes(`b/${f.path}\n`) && f.status === 'A').length;
    if (p.truncated) result.note = `The patch was cut at ${maxBytes} bytes; pass a larger maxPatchBytes (up to 1 MiB) or read the files in ${inst.path}.`;
    else if (untracked > 0) result.note = 'Untracked new files are listed in "files" but not in the patch (it covers tracked files).';
  }
  return result;
}
