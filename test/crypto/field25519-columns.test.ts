import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'mocha';
import { FIELD_SOURCE, bodyIn, generatedBodies, regenerated } from './field25519-columns.js';

describe('field25519.ts: mul and sqr are what field25519-columns.ts generates', () => {
  it('the source holds exactly the generated bodies (regenerate with --write after a change)', () => {
    const text = readFileSync(FIELD_SOURCE, 'utf8');
    assert.equal(regenerated(text), text);
  });

  it('the check can fail: a column edited by hand is found', () => {
    const text = readFileSync(FIELD_SOURCE, 'utf8');
    const edited = text.replace('const t5 = a0 * b5 + ', 'const t5 = a0 * b5 - ');
    assert.notEqual(edited, text);
    assert.notEqual(regenerated(edited), edited);
  });

  it('each generated body stands where it belongs: 144 products in mul, 78 in sqr', () => {
    const lines = readFileSync(FIELD_SOURCE, 'utf8').split('\n');
    const products = new Map([['mul', 144], ['sqr', 78]]);
    for (const [signature, body] of generatedBodies()) {
      const { start, end } = bodyIn(lines, signature);
      assert.deepEqual(lines.slice(start, end), body);
      const name = signature.includes(' mul(') ? 'mul' : 'sqr';
      const columns = body.filter((l) => /^ {2}const t\d+ = /.test(l)).join(' ');
      assert.equal(columns.match(/a\d+ \* [ab]\d+/g)?.length, products.get(name), name);
    }
  });
});
