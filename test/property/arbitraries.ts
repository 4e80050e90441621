/**
 * fast-check arbitraries and the two properties every codec must have: decoding is total
 * (any bytes give a value or the codec's own error, never a RangeError, TypeError or
 * anything else), and decode(encode(v)) is v for every valid v.
 */
import fc from 'fast-check';
import { TlsConfigError, TlsDecodeError, TlsError } from '../../src/errors.js';
import { applyEdits, type Edit } from '../fuzz/mutate.js';

/** Runs per property: PROPERTY_RUNS overrides (e.g. 100000 for a long local run). */
export function runs(n: number): { numRuns: number; seed?: number } {
  const override = Number(process.env.PROPERTY_RUNS);
  const seed = process.env.PROPERTY_SEED === undefined ? undefined : Number(process.env.PROPERTY_SEED);
  return { numRuns: Number.isFinite(override) && override > 0 ? override : n, ...(seed === undefined ? {} : { seed }) };
}

export type ErrorClass = typeof TlsError | typeof TlsDecodeError | typeof TlsConfigError;

/** Wire input: a TlsError (an alert). Application input (sessions, keys, PEM): a TlsDecodeError or a TlsConfigError. */
export const WIRE_ERRORS: readonly ErrorClass[] = [TlsError];
export const APPLICATION_ERRORS: readonly ErrorClass[] = [TlsDecodeError, TlsConfigError];

/** Calls `decode`; an error of another class than `allowed` fails the property with what it was. */
export function expectTotal(decode: () => unknown, allowed: readonly ErrorClass[]): void {
  try {
    decode();
  } catch (e) {
    if (allowed.some((c) => e instanceof c)) return;
    const error = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack}` : String(e);
    throw new Error(`decoder threw something other than ${allowed.map((c) => c.name).join('/')}: ${error}`);
  }
}

/** fc.record with ordinary objects (fast-check's default null prototype would fail deepStrictEqual against a decoder's result). */
export function rec<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;
}

export const u8 = fc.integer({ min: 0, max: 0xff });
export const u16 = fc.integer({ min: 0, max: 0xffff });
export const u32 = fc.integer({ min: 0, max: 0xffffffff });
export const bytes = (minLength: number, maxLength: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength, maxLength });

/** A short list of edits, as the mutation fuzzer makes them. */
export const edit: fc.Arbitrary<Edit> = fc.oneof(
  rec({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  rec({ kind: fc.constant('set' as const), at: fc.nat(), value: u8 }),
  rec({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: bytes(1, 16) }),
  rec({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }) }),
  rec({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  rec({ kind: fc.constant('duplicate' as const), at: fc.nat(), from: fc.nat(), length: fc.integer({ min: 1, max: 32 }) }),
  rec({ kind: fc.constant('header' as const), at: fc.nat(), value: u8 }),
  rec({
    kind: fc.constant('length' as const),
    at: fc.nat(),
    width: fc.integer({ min: 1, max: 3 }),
    delta: fc.constantFrom(-2, -1, 1, 2, 0, 1000, 17, -17),
  }),
);
export const edits = fc.array(edit, { minLength: 1, maxLength: 4 });

/** Bytes near a valid encoding: an encoded value with a few edits. */
export function mutated<T>(values: fc.Arbitrary<T>, encode: (v: T) => Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.tuple(values, edits).map(([v, e]) => applyEdits(encode(v), e));
}

/** Random bytes and bytes near valid encodings, half and half. */
export function hostile<T>(values: fc.Arbitrary<T>, encode: (v: T) => Uint8Array, maxLength = 512): fc.Arbitrary<Uint8Array> {
  return fc.oneof(bytes(0, maxLength), mutated(values, encode));
}

/** A string of bytes (each character 0..255), as puretls keeps ALPN names and host names. */
export function latin1String(minLength: number, maxLength: number, min = 0, max = 0xff): fc.Arbitrary<string> {
  return fc.array(fc.integer({ min, max }), { minLength, maxLength }).map((codes) => String.fromCharCode(...codes));
}
