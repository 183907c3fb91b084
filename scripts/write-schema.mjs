// Writes schemas/axiom.schema.json (the JSON schema VS Code validates `.axiom.json` with) from the
// engine's own definition, so the two never drift (test/core/provision.test.ts checks it).
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const { configJsonSchema } = createRequire(import.meta.url)(path.join(root, 'out/src/core/provision/configFile.js'));
fs.mkdirSync(path.join(root, 'schemas'), { recursive: true });
fs.writeFileSync(path.join(root, 'schemas', 'axiom.schema.json'), JSON.stringify(configJsonSchema(), null, 2) + '\n');
console.log('written schemas/axiom.schema.json');
