/**
 * `npm run test:unit` and `npm run test:interop` split what `npm test` runs: every folder of
 * tests belongs to exactly one of the two, so together they are the whole suite.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'mocha';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** The folders a `dist/test/{a,b,c}/**` spec names. */
function folders(config: string): string[] {
  const { spec } = JSON.parse(readFileSync(join(repo, config), 'utf8')) as { spec: string[] };
  return spec.flatMap((s) => /^dist\/test\/\{([^}]+)\}\//.exec(s)![1]!.split(','));
}

describe('test groups', () => {
  it('every test folder is in exactly one of test:unit and test:interop', () => {
    const unit = folders('.mocharc.unit.json');
    const interop = folders('.mocharc.interop.json');
    const onDisk = readdirSync(join(repo, 'test'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name !== 'helpers' && readdirSync(join(repo, 'test', d.name), { recursive: true }).some((f) => String(f).endsWith('.test.ts')))
      .map((d) => d.name)
      .sort();
    assert.deepEqual([...unit, ...interop].sort(), onDisk);
    assert.deepEqual(unit.filter((f) => interop.includes(f)), []);
  });
});
