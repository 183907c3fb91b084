#!/usr/bin/env node
/**
 * The `axiom` executable: see cli/run.ts for the command line and cli/verbs/ for each command.
 * Exit codes: 0 done, 1 unexpected failure, 2 usage, 3 refused (to protect work or by a rule), 4 merge conflict.
 */
import { runCli } from './cli/run';

export { runCli } from './cli/run';
export { EXIT } from './cli/context';

/** The current folder, or null when it was deleted under the shell (process.cwd() throws then). */
function currentFolder(): string | null {
  try {
    return process.cwd();
  } catch {
    return null;
  }
}

if (require.main === module) {
  // A reader that went away (`axiom list | head -1`) ends the output, not the process with a stack.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  runCli(process.argv.slice(2), {
    out: (t) => process.stdout.write(t),
    err: (t) => process.stderr.write(t),
    cwd: currentFolder(),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`axiom: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
