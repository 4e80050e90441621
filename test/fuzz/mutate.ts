/**
 * Byte-level mutations, shared by the mutation fuzzer (driven by a seeded PRNG) and the
 * property tests (driven by fast-check arbitraries): an input is changed by a short list
 * of edits, so a failing case is the seed plus a few edits, easy to print and replay.
 */
import { concatBytes } from '../../src/codec/bytes.js';

export type Edit =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicate'; at: number; from: number; length: number }
  /** Length fields sit in the first bytes of records, messages and DER elements: hit them more often. */
  | { kind: 'header'; at: number; value: number }
  /** A big-endian length of 1..3 bytes at `at` set to near its neighbours (off by a little, or 0 / max). */
  | { kind: 'length'; at: number; width: number; delta: number };

/** Values that make parsers take their boundary paths. */
export const INTERESTING_BYTES = [0, 1, 0x7f, 0x80, 0xfe, 0xff] as const;

export function applyEdit(input: Uint8Array, e: Edit): Uint8Array {
  const n = input.length;
  const at = n === 0 ? 0 : e.at % (n + 1);
  const inside = n === 0 ? 0 : e.at % n;
  switch (e.kind) {
    case 'flip': {
      if (n === 0) return input;
      const out = input.slice();
      out[inside]! ^= 1 << (e.bit & 7);
      return out;
    }
    case 'set':
    case 'header': {
      if (n === 0) return input;
      const out = input.slice();
      out[e.kind === 'header' ? e.at % Math.min(n, 12) : inside] = e.value & 0xff;
      return out;
    }
    case 'insert':
      return concatBytes([input.subarray(0, at), e.bytes, input.subarray(at)]);
    case 'delete':
      return concatBytes([input.subarray(0, at), input.subarray(at + e.length)]);
    case 'truncate':
      return input.slice(0, at);
    case 'duplicate': {
      if (n === 0) return input;
      const from = e.from % n;
      return concatBytes([input.subarray(0, at), input.subarray(from, from + e.length), input.subarray(at)]);
    }
    case 'length': {
      const width = Math.min(Math.max(e.width, 1), 3);
      if (n < width) return input;
      const p = e.at % (n - width + 1);
      let v = 0;
      for (let i = 0; i < width; i++) v = v * 256 + input[p + i]!;
      const max = 2 ** (8 * width) - 1;
      v = e.delta === 0 ? 0 : e.delta === 1000 ? max : Math.min(max, Math.max(0, v + e.delta));
      const out = input.slice();
      for (let i = width - 1; i >= 0; i--, v = Math.floor(v / 256)) out[p + i] = v & 0xff;
      return out;
    }
  }
}

export function applyEdits(input: Uint8Array, edits: readonly Edit[]): Uint8Array {
  let b = input;
  for (const e of edits) b = applyEdit(b, e);
  return b;
}

export type Rand = () => number;

/** One random edit for an input of `length` bytes. */
export function randomEdit(rand: Rand, length: number): Edit {
  const int = (k: number): number => Math.floor(rand() * k);
  const at = int(length + 1);
  switch (int(10)) {
    case 0:
    case 1:
      return { kind: 'flip', at, bit: int(8) };
    case 2:
      return { kind: 'set', at, value: rand() < 0.7 ? INTERESTING_BYTES[int(INTERESTING_BYTES.length)]! : int(256) };
    case 3:
      return { kind: 'insert', at, bytes: Uint8Array.from({ length: 1 + int(rand() < 0.9 ? 8 : 300) }, () => int(256)) };
    case 4:
      return { kind: 'delete', at, length: 1 + int(rand() < 0.8 ? 4 : 64) };
    case 5:
      return { kind: 'truncate', at };
    case 6:
      return { kind: 'duplicate', at, from: int(Math.max(length, 1)), length: 1 + int(64) };
    case 7:
      return { kind: 'header', at: int(12), value: int(256) };
    default: {
      const deltas = [-1, 1, -2, 2, 0, 1000, -int(300), int(300)];
      return { kind: 'length', at, width: 1 + int(3), delta: deltas[int(deltas.length)]! };
    }
  }
}

/** One to `max` random edits (fewer are likelier: most interesting inputs are close to valid ones). */
export function randomEdits(rand: Rand, length: number, max = 4): Edit[] {
  const count = 1 + Math.floor(rand() * rand() * max);
  return Array.from({ length: count }, () => randomEdit(rand, length));
}
