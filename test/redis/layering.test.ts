import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'mocha';

/**
 * `redis` is the dependency of the puretls/redis entry point only: the rest of the library
 * (and the sans-IO core above all) neither imports it nor reaches src/redis, so users who
 * never import puretls/redis need not install it.
 */
const srcDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

function imports(file: string): string[] {
  const code = readFileSync(file, 'utf8');
  return [...code.matchAll(/(?:^|[\s;])(?:import|export)\b[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s*['"]([^'"]+)['"]/gm)].map(
    (m) => m[1] ?? m[2] ?? m[3]!,
  );
}

function compiledFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? compiledFiles(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : [],
  );
}

describe('puretls/redis layering', () => {
  it('only src/redis imports redis, and nothing outside it imports src/redis', () => {
    const offenders: string[] = [];
    let redisImports = 0;
    for (const file of compiledFiles(srcDir)) {
      const inRedis = relative(srcDir, file).startsWith(`redis/`);
      for (const spec of imports(file)) {
        const reachesRedisFolder = spec.startsWith('.') && relative(srcDir, resolve(dirname(file), spec)).startsWith('redis/');
        if (spec === 'redis' || spec.startsWith('@redis/')) {
          if (inRedis) redisImports++;
          else offenders.push(`${relative(srcDir, file)} imports ${spec}`);
        } else if (!inRedis && reachesRedisFolder) {
          offenders.push(`${relative(srcDir, file)} imports ${spec}`);
        }
      }
    }
    assert.deepEqual(offenders, []);
    assert.ok(redisImports > 0, 'src/redis does import redis (the scan sees imports)');
  });

  it('the core entry points (puretls/core, and puretls) do not reach src/redis', () => {
    for (const entry of ['core.js', 'index.js']) {
      const seen = new Set<string>();
      const queue = [resolve(srcDir, entry)];
      while (queue.length > 0) {
        const file = queue.pop()!;
        if (seen.has(file)) continue;
        seen.add(file);
        for (const spec of imports(file)) if (spec.startsWith('.')) queue.push(resolve(dirname(file), spec));
      }
      assert.ok(seen.size > 10, `${entry}: walked ${seen.size} modules`);
      assert.deepEqual([...seen].filter((f) => relative(srcDir, f).startsWith('redis/')), [], entry);
    }
  });
});
