/**
 * Processes whose client may vanish (the MCP server, the hook runner, the CLI): when the other end of
 * stdout or stderr goes away, exit quietly instead of reporting the broken pipe on the broken pipe
 * (an uncaught EPIPE whose handler writes to stderr fails again and loops forever at full CPU).
 */

const BROKEN_PIPE_CODES = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END', 'ECONNRESET', 'EOF']);

export function isBrokenPipe(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && BROKEN_PIPE_CODES.has(code);
}

/** Writes to stderr only while it can take the text; never throws, never emits an unhandled error. */
export function writeStderr(text: string): void {
  const err = process.stderr;
  if (err.destroyed || !err.writable) return;
  try {
    err.write(text);
  } catch {
    /* nowhere left to report to */
  }
}

/**
 * Installs the guards: a broken stdout/stderr ends the process with `exitCode` (after `beforeExit`),
 * and uncaught errors are reported once on stderr (if it still works) instead of crashing or looping.
 */
export function guardStdio(name: string, options: { exitCode?: number; beforeExit?: () => void } = {}): void {
  let exiting = false;
  const leave = (): void => {
    if (exiting) return;
    exiting = true;
    try {
      options.beforeExit?.();
    } finally {
      process.exit(options.exitCode ?? 0);
    }
  };
  const onStreamError = (e: unknown): void => {
    if (isBrokenPipe(e)) leave();
  };
  process.stdout.on('error', onStreamError);
  process.stderr.on('error', onStreamError);
  let reporting = false;
  process.on('uncaughtException', (e) => {
    if (isBrokenPipe(e)) return leave();
    if (reporting) return; // an error while reporting an error: never recurse
    reporting = true;
    writeStderr(`${name}: uncaught: ${e.stack ?? e.message}\n`);
    reporting = false;
  });
  process.on('unhandledRejection', (e) => {
    if (isBrokenPipe(e)) return leave();
    writeStderr(`${name}: unhandled rejection: ${String(e)}\n`);
  });
}
