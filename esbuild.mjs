// Bundles the extension, the CLI, the MCP server and the agent hook into dist/ (type-checking is `tsc --noEmit`).
import * as esbuild from 'esbuild';
import { existsSync, readFileSync, chmodSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');
const { version } = JSON.parse(readFileSync('package.json', 'utf8'));

const entries = [
  { in: 'src/extension/extension.ts', out: 'extension', external: ['vscode'] },
  // `axiom mcp` loads dist/mcp.js at run time instead of carrying the MCP SDK in every CLI start.
  { in: 'src/cli.ts', out: 'cli', executable: true, plugins: [sibling(/\/mcp\/main$/, './mcp.js')] },
  { in: 'src/mcp/main.ts', out: 'mcp', executable: true },
  { in: 'src/agents/hook.ts', out: 'hook' },
].filter((e) => existsSync(e.in));

/** Resolves an import matching `filter` to another bundle of dist/ (`path`, beside this one) at run time. */
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
      logLevel: 'warning',
      
      define: { __AXIOM_VERSION__: JSON.stringify(version) },
      // jsonc-parser's UMD main loads its parts with a dynamic require that a bundle cannot follow: use its ES module build.
      alias: { 'jsonc-parser': './node_modules/jsonc-parser/lib/esm/main.js' },
    }),
  ),
);

if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
  for (const e of entries) if (e.executable) chmodSync(`dist/${e.out}.js`, 0o755);
  console.log(`built ${entries.map((e) => `dist/${e.out}.js`).join(', ')}${production ? ' (production)' : ''}`);
}
