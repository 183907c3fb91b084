/**
 * The CLI's one way to the engine: `backend()` loads `backend.ts` (in the bundle: `dist/cli-engine.js`,
 * see esbuild.mjs) at its first call, so a command that needs no engine (`--version`, `help`, a usage
 * error, `completion`) starts without reading it (ARCHITECTURE §2.3).
 */
import type * as Backend from './backend';

export type BackendModule = typeof Backend;

let loaded: BackendModule | undefined;
const waiting = new Set<(b: BackendModule) => void>();

export function backend(): BackendModule {
  if (!loaded) {
    // A require on purpose: synchronous, and the bundle maps it to the sibling file (esbuild.mjs `sibling`).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('./backend') as BackendModule;
    for (const f of waiting) f(loaded);
    waiting.clear();
  }
  return loaded;
}

/** The engine if something already loaded it, else undefined (an error of the engine implies it is loaded). */
export function loadedBackend(): BackendModule | undefined {
  return loaded;
}

/** Runs `attach` with the engine now if it is loaded, else when it loads; the result stops what it attached. */
export function whenLoaded(attach: (b: BackendModule) => () => void): () => void {
  let stop: (() => void) | undefined;
  const run = (b: BackendModule): void => {
    stop = attach(b);
  };
  if (loaded) run(loaded);
  else waiting.add(run);
  return () => {
    waiting.delete(run);
    stop?.();
  };
}
