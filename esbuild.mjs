// Bundles the extension, the CLI, the MCP server and the agent hook into dist/ (type-checking is `tsc --noEmit`).
import * as esbuild from 'esbuild';
import { existsSync, readFileSync, chmodSync, writeFileSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

// `.axiom.json`'s schema (zod) and parser: its own bundle, dist/config-schema.js, loaded by every bundle
// that has the engine when there is a `.axiom.json` to read (ARCHITECTURE §2.3). Inlined behind the lazy
// import instead, zod's modules run in another order and its classes are not yet defined when used.
const configSchema = () => sibling(/(^|\/)configFile$/, './config-schema.js');

const entries = [
  { in: 'src/extension/extension.ts', out: 'extension', external: ['vscode'], plugins: [configSchema()] },
  // The CLI is three bundles, each loaded only when a command needs it (ARCHITECTURE §2.3): dist/cli.js
  // parses, helps and words output; the engine (src/cli/backend.ts) is dist/cli-engine.js, loaded at a
  // verb's first use of it; dist/config-schema.js as above; and `axiom mcp` loads dist/mcp.js instead of
  // carrying the MCP SDK.
  {
    in: 'src/cli.ts',
    out: 'cli',
    executable: true,
    plugins: [sibling(/\/mcp\/main$/, './mcp.js'), sibling(/^\.\/backend$/, './cli-engine.js')],
  },
  { in: 'src/cli/backend.ts', out: 'cli-engine', plugins: [configSchema()] },
  { in: 'src/core/provision/configFile.ts', out: 'config-schema' },
  { in: 'src/mcp/main.ts', out: 'mcp', executable: true, plugins: [configSchema()] },
  { in: 'src/agents/hook.ts', out: 'hook' },
].filter((e) => existsSync(e.in));

/**
 * Resolves an import matching `filter` to another bundle of dist/ (`path`, beside this one) at run time.
 * The import is a lazy `import()` in the source; in these CommonJS bundles it becomes a `require` when
 * reached (`supported` below), so the sibling costs nothing until then.
 */
function sibling(filter, path) {
  return { name: `sibling ${path}`, setup: (build) => build.onResolve({ filter }, () => ({ path, external: true })) };
}

const contexts = await Promise.all(
  entries.map((e) =>
    esbuild.context({
      entryPoints: { [e.out]: e.in },
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      outdir: 'dist',
      external: e.external ?? [],
      plugins: e.plugins ?? [],
      sourcemap: !production,
      minify: production,
      // `import()` of a sibling bundle as a plain require: no ES module loader started for a CommonJS file.
      supported: { 'dynamic-import': false },
      logLevel: 'warning',
      // dist/<bundle>.meta.json: which sources each bundle holds (test/core/cliStart.test.ts reads the CLI's; not shipped).
      metafile: true,
      define: { __AXIOM_VERSION__: JSON.stringify(version) },
      // jsonc-parser's UMD main loads its parts with a dynamic require that a bundle cannot follow: use its ES module build.
      alias: { 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
    }),
  ),
);

if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  const results = await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  entries.forEach((e, i) => writeFileSync(`dist/${e.out}.meta.json`, JSON.stringify(results[i].metafile)));
  for (const e of entries) if (e.executable) chmodSync(`dist/${e.out}.js`, 0o755);
  console.log(`built ${entries.map((e) => `dist/${e.out}.js`).join(', ')}${production ? ' (production)' : ''}`);
}
