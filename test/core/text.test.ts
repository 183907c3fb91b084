import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { plural } from '../../src/core/text';

test('plural: the noun takes the right plural ending, never "(s)"', () => {
  assert.equal(plural(1, 'file'), '1 file');
  assert.equal(plural(0, 'file'), '0 files');
  assert.equal(plural(3, 'uncommitted file'), '3 uncommitted files');
  assert.equal(plural(2, 'empty branch'), '2 empty branches');
  assert.equal(plural(2, 'repository'), '2 repositories');
  assert.equal(plural(2, 'day'), '2 days');
  assert.equal(plural(1, 'branch'), '1 branch');
});

test('no message in the sources writes a plural as "port(s)" or "agent(s)": every string and template of src/ (issue 21)', async () => {
  const ts = await import('typescript');
  const fs = await import('node:fs');
  const path = await import('node:path');
  const root = path.resolve(__dirname, '../../../src');
  const files = (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length > 50, 'the sources were found');
  const found: string[] = [];
  for (const f of files) {
    const source = ts.createSourceFile(f, fs.readFileSync(path.join(root, f), 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: import('typescript').Node): void => {
      if ((ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) || ts.isTemplateHead(node) || ts.isTemplateMiddle(node) || ts.isTemplateTail(node)) && /[a-z]\((e?s)\)/i.test(node.text)) {
        found.push(`${f}:${source.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${node.text.slice(0, 60)}`);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  assert.deepEqual(found, []);
});
