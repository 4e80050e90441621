import { TlsDecodeError } from '../errors.js';
import { concatBytes as concat, copyBytes } from './bytes.js';

/**
 * A small, strict DER codec: what PEM keys, X.509 certificates and OpenSSL's SSL_SESSION
 * need, nothing more. Lengths are definite and minimal; every length is bounds-checked.
 */

export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8String: 0x0c,
  PrintableString: 0x13,
  IA5String: 0x16,
  UTCTime: 0x17,
  GeneralizedTime: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Context-specific tag number n, constructed (EXPLICIT) or primitive (IMPLICIT). */
export function contextTag(n: number, constructed: boolean): number {
  if (n > 30) throw new RangeError('high tag numbers are not supported');
  return 0x80 | (constructed ? 0x20 : 0) | n;
}

function fail(message: string): never {
  throw new TlsDecodeError('ERR_DER_DECODE', message);
}

export interface Tlv {
  tag: number;
  /** The content octets (a view). */
  value: Uint8Array;
  /** The whole element, header included (a view). */
  raw: Uint8Array;
}

export class DerReader {
  private offset: number;
  /** Where this reader's bytes end in `buf`: a reader for a SEQUENCE's content shares its parent's array, with no view made for it. */
  private readonly limit: number;
  /** The content of the element `next` read last: `buf[valueStart, valueEnd)`. */
  private valueStart = 0;
  private valueEnd = 0;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    limit = buf.length,
  ) {
    this.offset = start;
    this.limit = limit;
  }

  get remaining(): number {
    return this.limit - this.offset;
  }

  atEnd(): boolean {
    return this.offset >= this.limit;
  }

  peekTag(): number | undefined {
    return this.offset < this.limit ? this.buf[this.offset] : undefined;
  }

  /** Reads the next element's header, moves past the element and returns its tag; its content is at valueStart..valueEnd. */
  private next(): number {
    const start = this.offset;
    const b = this.buf;
    const limit = this.limit;
    if (start + 2 > limit) fail('truncated DER element');
    const tag = b[start]!;
    if ((tag & 0x1f) === 0x1f) fail('high tag numbers are not supported');
    let len = b[start + 1]!;
    let at = start + 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0) fail('indefinite length is not DER');
      if (n > 4) fail('DER length too large');
      if (at + n > limit) fail('truncated DER length');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + b[at + i]!;
      if (b[at] === 0 || len < 0x80) fail('non-minimal DER length');
      at += n;
    }
    if (len > limit - at) fail('DER element overruns its container');
    this.offset = at + len;
    this.valueStart = at;
    this.valueEnd = at + len;
    return tag;
  }

  read(): Tlv {
    const start = this.offset;
    const tag = this.next();
    return { tag, value: this.buf.subarray(this.valueStart, this.valueEnd), raw: this.buf.subarray(start, this.valueEnd) };
  }

  /** The tag of the element `enter` read last. */
  enteredTag = 0;

  /**
   * The next element, whatever its tag, as a reader over its content (`enteredTag` says
   * what it was): for walking a SEQUENCE's optional fields without a view of each.
   */
  enter(): DerReader {
    this.enteredTag = this.next();
    return new DerReader(this.buf, this.valueStart, this.valueEnd);
  }

  /** Whatever this reader has not read yet, as a view; the reader is then at its end. */
  rest(): Uint8Array {
    const v = this.buf.subarray(this.offset, this.limit);
    this.offset = this.limit;
    return v;
  }

  /** Reads the next element, which must have `tag`. */
  private nextOf(tag: number, what: string): void {
    const got = this.next();
    if (got !== tag) fail(`${what}: expected tag 0x${tag.toString(16)}, got 0x${got.toString(16)}`);
  }

  expect(tag: number, what: string): Uint8Array {
    this.nextOf(tag, what);
    return this.buf.subarray(this.valueStart, this.valueEnd);
  }

  /** Reads the element only if its tag matches (for OPTIONAL fields). */
  optional(tag: number): Uint8Array | undefined {
    return this.peekTag() === tag ? this.read().value : undefined;
  }

  sequence(what = 'SEQUENCE'): DerReader {
    this.nextOf(Tag.SEQUENCE, what);
    return new DerReader(this.buf, this.valueStart, this.valueEnd);
  }

  /** INTEGER as a JS number; it must be non-negative and fit in 2^53. */
  uint(what = 'INTEGER'): number {
    this.nextOf(Tag.INTEGER, what);
    return derUint(this.buf, this.valueStart, this.valueEnd, what);
  }

  /** INTEGER as its unsigned big-endian magnitude (leading sign byte dropped). */
  uintBytes(what = 'INTEGER'): Uint8Array {
    const v = this.expect(Tag.INTEGER, what);
    checkInteger(v, what);
    if (v[0]! & 0x80) fail(`${what}: negative`);
    return v.length > 1 && v[0] === 0 ? v.subarray(1) : v;
  }

  octetString(what = 'OCTET STRING'): Uint8Array {
    return this.expect(Tag.OCTET_STRING, what);
  }

  /** The next element, header included, if its tag matches (to keep a SEQUENCE's raw bytes, e.g. to verify a signature over it). */
  element(tag: number, what: string): Tlv {
    const tlv = this.read();
    if (tlv.tag !== tag) fail(`${what}: expected tag 0x${tag.toString(16)}, got 0x${tlv.tag.toString(16)}`);
    return tlv;
  }

  /**
   * BIT STRING that may have unused trailing bits (named-bit lists such as keyUsage). The unused
   * bits are cleared, as OpenSSL does, rather than rejected; `bytes` is a copy.
   */
  bitStringBits(what = 'BIT STRING'): { bytes: Uint8Array; unusedBits: number } {
    const v = this.expect(Tag.BIT_STRING, what);
    if (v.length < 1) fail(`${what}: empty BIT STRING`);
    const unusedBits = v[0]!;
    if (unusedBits > 7 || (v.length === 1 && unusedBits !== 0)) fail(`${what}: bad unused-bits count ${unusedBits}`);
    const bytes = copyBytes(v.subarray(1));
    if (bytes.length > 0) bytes[bytes.length - 1]! &= (0xff << unusedBits) & 0xff;
    return { bytes, unusedBits };
  }

  /** BIT STRING with no unused bits (all we use: keys and signatures). */
  bitString(what = 'BIT STRING'): Uint8Array {
    const v = this.expect(Tag.BIT_STRING, what);
    if (v.length < 1 || v[0] !== 0) fail(`${what}: unused bits are not supported`);
    return v.subarray(1);
  }

  oid(what = 'OBJECT IDENTIFIER'): string {
    return decodeOid(this.expect(Tag.OID, what));
  }

  /** UTCTime or GeneralizedTime, as X.509 validity uses them. */
  time(what = 'Time'): Date {
    const { tag, value } = this.read();
    if (tag !== Tag.UTCTime && tag !== Tag.GeneralizedTime) {
      fail(`${what}: expected UTCTime or GeneralizedTime, got tag 0x${tag.toString(16)}`);
    }
    return decodeTime(tag, value, what);
  }

  /** The content of an EXPLICIT [n] wrapper, if present. */
  explicit(n: number): DerReader | undefined {
    if (this.peekTag() !== contextTag(n, true)) return undefined;
    this.next();
    return new DerReader(this.buf, this.valueStart, this.valueEnd);
  }

  end(what: string): void {
    if (!this.atEnd()) fail(`${this.remaining} trailing bytes in ${what}`);
  }
}

function checkInteger(v: Uint8Array, what: string): void {
  checkIntegerAt(v, 0, v.length, what);
}

/** X.690 §8.3.2: an INTEGER's content `b[start, end)` is at least one byte, and minimal. */
function checkIntegerAt(b: Uint8Array, start: number, end: number, what: string): void {
  if (end === start) fail(`${what}: empty INTEGER`);
  const first = b[start]!;
  if (end - start > 1 && ((first === 0 && !(b[start + 1]! & 0x80)) || (first === 0xff && b[start + 1]! & 0x80))) {
    fail(`${what}: non-minimal INTEGER`);
  }
}

export function derUintValue(v: Uint8Array, what: string): number {
  return derUint(v, 0, v.length, what);
}

/** The INTEGER whose content is `b[start, end)` as a JS number: non-negative and below 2^53. */
function derUint(b: Uint8Array, start: number, end: number, what: string): number {
  checkIntegerAt(b, start, end, what);
  if (b[start]! & 0x80) fail(`${what}: negative`);
  if (end - start > 7) fail(`${what}: too large`);
  let n = 0;
  for (let i = start; i < end; i++) n = n * 256 + b[i]!;
  if (!Number.isSafeInteger(n)) fail(`${what}: too large`);
  return n;
}

/**
 * RFC 5280 §4.1.2.5 profile: UTC ('Z'), whole seconds, no fraction. Two-digit UTCTime
 * years 50..99 mean 19xx and 00..49 mean 20xx.
 */
export function decodeTime(tag: number, v: Uint8Array, what: string): Date {
  const pattern = tag === Tag.UTCTime ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/ : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
  const s = v.length <= 15 ? String.fromCharCode(...v) : '';
  const m = pattern.exec(s);
  if (!m) fail(`${what}: not a ${tag === Tag.UTCTime ? 'YYMMDDHHMMSSZ' : 'YYYYMMDDHHMMSSZ'} time`);
  const [y, mo, d, h, mi, sec] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const year = tag !== Tag.UTCTime ? y : y < 50 ? 2000 + y : 1900 + y;
  // setUTCFullYear, unlike Date.UTC, does not turn years 0..99 into 19xx.
  const date = new Date(0);
  date.setUTCFullYear(year, mo - 1, d);
  date.setUTCHours(h, mi, sec, 0);
  const roundTrips =
    date.getUTCFullYear() === year && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d &&
    date.getUTCHours() === h && date.getUTCMinutes() === mi && date.getUTCSeconds() === sec;
  if (!roundTrips) fail(`${what}: no such date/time ${s}`);
  return date;
}

export function decodeOid(v: Uint8Array): string {
  if (v.length === 0) fail('empty OID');
  const parts: number[] = [];
  let acc = 0;
  for (let i = 0; i < v.length; i++) {
    const byte = v[i]!;
    if (acc === 0 && byte === 0x80) fail('non-minimal OID arc');
    acc = acc * 128 + (byte & 0x7f);
    if (acc > Number.MAX_SAFE_INTEGER / 128) fail('OID arc too large');
    if (!(byte & 0x80)) {
      parts.push(acc);
      acc = 0;
    } else if (i === v.length - 1) {
      fail('truncated OID');
    }
  }
  const first = parts[0]!;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...parts.slice(1)].join('.');
}

// ---------------------------------------------------------------------------------------
// Encoding: functions that return complete elements, composed bottom-up.

/** Bytes of a big-endian unsigned integer without leading zeros (0 for 0). */
function byteLength(n: number): number {
  let bytes = 0;
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes++;
  return bytes;
}

/** Writes `n` big-endian into `out[at .. at + length)`. */
function writeBigEndian(out: Uint8Array, at: number, length: number, n: number): void {
  for (let i = at + length - 1, v = n; i >= at; i--, v = Math.floor(v / 256)) out[i] = v & 0xff;
}

/**
 * One allocation per element: the header is written in front of the content directly
 * (sessions are encoded on every ticket, so this is on the resumption path).
 */
export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const c of content) length += c.length;
  // X.690 §8.1.3: short form below 128, else 0x80 | count, then the count's bytes.
  const lengthBytes = length < 0x80 ? 0 : byteLength(length);
  const headerLength = 2 + lengthBytes;
  const out = new Uint8Array(headerLength + length);
  out[0] = tag;
  if (lengthBytes === 0) {
    out[1] = length;
  } else {
    out[1] = 0x80 | lengthBytes;
    writeBigEndian(out, 2, lengthBytes, length);
  }
  let at = headerLength;
  for (const c of content) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export function sequence(...items: Uint8Array[]): Uint8Array {
  return tlv(Tag.SEQUENCE, ...items);
}

export function set(...items: Uint8Array[]): Uint8Array {
  return tlv(Tag.SET, ...items);
}

export function explicit(n: number, inner: Uint8Array): Uint8Array {
  return tlv(contextTag(n, true), inner);
}

export function octetString(v: Uint8Array): Uint8Array {
  return tlv(Tag.OCTET_STRING, v);
}

export function bitString(v: Uint8Array): Uint8Array {
  return tlv(Tag.BIT_STRING, Uint8Array.of(0), v);
}

export function nullValue(): Uint8Array {
  return Uint8Array.of(Tag.NULL, 0);
}

export function boolean(v: boolean): Uint8Array {
  return Uint8Array.of(Tag.BOOLEAN, 1, v ? 0xff : 0);
}

/** A non-negative INTEGER from its unsigned big-endian magnitude. */
export function uintBytes(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  const body = m.length === 0 ? Uint8Array.of(0) : m[0]! & 0x80 ? concat([Uint8Array.of(0), m]) : m;
  return tlv(Tag.INTEGER, body);
}

export function uint(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`not a non-negative safe integer: ${n}`);
  const magnitude = Math.max(1, byteLength(n));
  // A leading zero keeps the INTEGER positive when the top bit of the magnitude is set.
  const topBitSet = Math.floor(n / 2 ** (8 * (magnitude - 1))) >= 0x80;
  const out = new Uint8Array(2 + magnitude + (topBitSet ? 1 : 0));
  out[0] = Tag.INTEGER;
  out[1] = out.length - 2;
  writeBigEndian(out, topBitSet ? 3 : 2, magnitude, n);
  return out;
}

export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  if (arcs.length < 2 || arcs.some((a) => !Number.isSafeInteger(a) || a < 0)) throw new RangeError(`bad OID ${dotted}`);
  const out: number[] = [];
  const encodeArc = (arc: number): void => {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  };
  encodeArc(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) encodeArc(a);
  return tlv(Tag.OID, Uint8Array.from(out));
}

export function utf8String(s: string): Uint8Array {
  return tlv(Tag.UTF8String, new TextEncoder().encode(s));
}

/** X.509 Time (RFC 5280 §4.1.2.5): UTCTime through 2049, GeneralizedTime from 2050; whole seconds, UTC. */
export function time(date: Date): Uint8Array {
  const year = date.getUTCFullYear();
  if (!(year >= 1950 && year <= 9999)) throw new RangeError(`time out of X.509 range (1950..9999): ${String(date)}`);
  const two = (n: number): string => String(n).padStart(2, '0');
  const rest = two(date.getUTCMonth() + 1) + two(date.getUTCDate()) + two(date.getUTCHours()) +
    two(date.getUTCMinutes()) + two(date.getUTCSeconds()) + 'Z';
  const [tag, text] = year < 2050 ? [Tag.UTCTime, two(year % 100) + rest] : [Tag.GeneralizedTime, String(year) + rest];
  return tlv(tag, new TextEncoder().encode(text));
}
