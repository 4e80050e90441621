/** The checked-in seed corpus (fuzz/corpus/<target>/) and the fuzz world's fixed keys (fuzz/keys/). */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from dist/test/fuzz/ where this module runs. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CORPUS_DIR = join(REPO_ROOT, 'fuzz', 'corpus');
export const KEYS_DIR = join(REPO_ROOT, 'fuzz', 'keys');

export interface Seed {
  name: string;
  bytes: Uint8Array;
}

/** Every file of fuzz/corpus/<target>/, sorted by name (so runs are reproducible). */
export function loadSeeds(target: string): Seed[] {
  const dir = join(CORPUS_DIR, target);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => !f.startsWith('.') && !f.endsWith('.md'))
    .sort()
    .map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(join(dir, f))) }));
}

export function writeSeed(target: string, name: string, bytes: Uint8Array): void {
  const dir = join(CORPUS_DIR, target);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), bytes);
}

export function fuzzKey(name: string): string {
  return readFileSync(join(KEYS_DIR, name), 'utf8');
}
