/**
 * The bodies of `mul` and `sqr` in src/crypto/field25519.ts are mechanical: 23 column sums
 * on locals, the upper columns carried, folded with 2^264 ≡ 9728, two carry passes. They
 * are written by this generator, not by hand; field25519-columns.test.ts checks that the
 * source holds exactly what it writes. After changing it:
 *
 *   npx tsc -p . && node dist/test/crypto/field25519-columns.js --write
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const LIMBS = 12;
const FOLD = 9728; // 2^264 mod p = 2^9 · 19
const COLUMNS = 2 * LIMBS - 1;

export const FIELD_SOURCE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src/crypto/field25519.ts');

/** `const a0 = a[0]!, ...` in two lines of six. */
function loads(v: string): string[] {
  const names = Array.from({ length: LIMBS }, (_, i) => `${v}${i} = ${v}[${i}]!`);
  return [`  const ${names.slice(0, 6).join(', ')};`, `  const ${names.slice(6).join(', ')};`];
}

function mulColumns(): string[] {
  const lines = ['  // Column k of the schoolbook product: Σ a_i·b_(k-i).'];
  for (let k = 0; k < COLUMNS; k++) {
    const terms: string[] = [];
    for (let i = Math.max(0, k - LIMBS + 1); i <= Math.min(LIMBS - 1, k); i++) terms.push(`a${i} * b${k - i}`);
    lines.push(`  const t${k} = ${terms.join(' + ')};`);
  }
  return lines;
}

/** Column k of a square: each cross product a_i·a_j (i < j) once, doubled, and a_(k/2)² when k is even. */
function sqrColumns(): string[] {
  const lines: string[] = [];
  for (let k = 0; k < COLUMNS; k++) {
    const cross: string[] = [];
    for (let i = Math.max(0, k - LIMBS + 1); i < k - i; i++) cross.push(`a${i} * a${k - i}`);
    const parts: string[] = [];
    if (cross.length > 0) parts.push(`2 * (${cross.join(' + ')})`);
    if (k % 2 === 0) parts.push(`a${k / 2} * a${k / 2}`);
    lines.push(`  const t${k} = ${parts.join(' + ')};`);
  }
  return lines;
}

function foldAndCarry(): string[] {
  const top = COLUMNS - 1;
  const lines = [
    `  // Columns ${LIMBS}..${top} carried into 22-bit limbs first (9728 times a column would pass 2^53),`,
    `  // what leaves column ${top} (weight 2^${22 * COLUMNS}) kept in c.`,
    `  let c = Math.floor(t${LIMBS} * TWO_TO_MINUS_22);`,
    `  const h${LIMBS} = t${LIMBS} - c * RADIX;`,
  ];
  for (let k = LIMBS + 1; k < COLUMNS; k++) lines.push(`  let h${k} = t${k} + c; c = Math.floor(h${k} * TWO_TO_MINUS_22); h${k} -= c * RADIX;`);
  lines.push(`  // Folded down: 2^264 ≡ ${FOLD}, and 2^${22 * COLUMNS} ≡ ${FOLD}·2^${22 * (LIMBS - 1)}.`);
  for (let k = 0; k < LIMBS; k++) lines.push(`  let r${k} = t${k} + ${FOLD} * ${k + LIMBS < COLUMNS ? `h${k + LIMBS}` : 'c'};`);
  lines.push('  // Two carry passes, as carry() makes, on the locals.');
  for (let pass = 0; pass < 2; pass++) {
    for (let k = 0; k < LIMBS; k++) {
      const next = k < LIMBS - 1 ? `r${k + 1} += c;` : `r0 += ${FOLD} * c;`;
      lines.push(`  c = Math.floor(r${k} * TWO_TO_MINUS_22); r${k} -= c * RADIX; ${next}`);
    }
  }
  for (let k = 0; k < LIMBS; k++) lines.push(`  o[${k}] = r${k};`);
  return lines;
}

/** The generated bodies, by the signature line of the function they belong to. */
export function generatedBodies(): Map<string, string[]> {
  return new Map([
    ['export function mul(o: FieldElement, a: FieldElement, b: FieldElement): void {', [...loads('a'), ...loads('b'), ...mulColumns(), ...foldAndCarry()]],
    ['export function sqr(o: FieldElement, a: FieldElement): void {', [...loads('a'), ...sqrColumns(), ...foldAndCarry()]],
  ]);
}

/** The source's body of the function whose signature line is `signature`: its lines up to the closing `}`. */
export function bodyIn(source: string[], signature: string): { start: number; end: number } {
  const start = source.indexOf(signature);
  if (start < 0) throw new Error(`${signature} not found in field25519.ts`);
  const end = source.indexOf('}', start);
  return { start: start + 1, end };
}

/** The source with every generated body replaced by what the generator writes now. */
export function regenerated(text: string): string {
  const lines = text.split('\n');
  for (const [signature, body] of generatedBodies()) {
    const { start, end } = bodyIn(lines, signature);
    lines.splice(start, end - start, ...body);
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!process.argv.includes('--write')) {
    process.stderr.write('usage: node dist/test/crypto/field25519-columns.js --write   (rewrites mul and sqr in src/crypto/field25519.ts)\n');
    process.exit(2);
  }
  writeFileSync(FIELD_SOURCE, regenerated(readFileSync(FIELD_SOURCE, 'utf8')));
}
