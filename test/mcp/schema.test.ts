/** The tool's advertised JSON Schema against the zod schemas that check every call. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { z } from 'zod';
import { ACTIONS, BY_ACTION, INPUT_SCHEMA, parseToolArgs } from '../../src/mcp/schema';

type Field = { type?: string; enum?: unknown[]; items?: Field; description?: string; minimum?: number; maximum?: number };

test('the JSON Schema clients see is the zod schemas: every argument of every action with its type, values and limits, and nothing else', () => {
  const advertised = INPUT_SCHEMA.properties as Record<string, Field>;
  assert.deepEqual(advertised.action!.enum, [...ACTIONS]);
  const used = new Set(['action']);
  for (const action of ACTIONS) {
    const generated = z.toJSONSchema(BY_ACTION[action]) as { properties: Record<string, Field> };
    for (const [name, field] of Object.entries(generated.properties)) {
      used.add(name);
      if (name === 'action') continue;
      const flat = advertised[name];
      assert.ok(flat, `${action}.${name} is advertised`);
      assert.equal(flat.type, field.type, `${action}.${name}: type`);
      for (const v of field.enum ?? []) assert.ok(flat.enum?.includes(v), `${action}.${name}: value ${String(v)} advertised`);
      if (field.items) assert.equal(flat.items?.type, field.items.type, `${action}.${name}: item type`);
      // The advertised limits never refuse what the action accepts.
      if (flat.minimum !== undefined) assert.ok(field.minimum !== undefined && flat.minimum <= field.minimum, `${action}.${name}: minimum`);
      if (flat.maximum !== undefined) assert.ok(field.maximum !== undefined && flat.maximum >= field.maximum, `${action}.${name}: maximum`);
    }
  }
  for (const [name, field] of Object.entries(advertised)) {
    assert.ok(used.has(name), `${name} is an argument of some action`);
    assert.ok(field.description && field.description.length > 10, `${name} has a description`);
  }
  assert.equal(INPUT_SCHEMA.additionalProperties, false);
  assert.deepEqual(INPUT_SCHEMA.required, ['action']);
});

test('a value the advertised schema lists is one an action accepts (launch, strategy, agent)', () => {
  const advertised = INPUT_SCHEMA.properties as Record<string, Field>;
  for (const launch of advertised.launch!.enum!) parseToolArgs({ action: 'spawn', instanceId: 'a', launch });
  for (const strategy of advertised.strategy!.enum!) parseToolArgs({ action: 'merge', instanceId: 'a', strategy });
  for (const agent of advertised.agent!.enum!) parseToolArgs({ action: 'spawn', instanceId: 'a', agent });
});
