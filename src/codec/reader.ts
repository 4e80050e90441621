import { AlertDescription, TlsError } from '../errors.js';

/**
 * A bounds-checked cursor over wire bytes (after rustls `codec::Reader` and Go's cryptobyte).
 * Every length read from the wire is checked before it is used; an overrun is decode_error.
 * Slices are views into the input, never copies.
 */
export class Reader {
  private offset: number;
  /** Where this reader's bytes start and end in `buf`: a sub-reader shares its parent's array, with no view made for it. */
  private readonly start: number;
  private readonly end: number;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    this.offset = this.start = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Bytes read so far. */
  get position(): number {
    return this.offset - this.start;
  }

  private need(n: number): void {
    if (n > this.end - this.offset) {
      throw new TlsError(AlertDescription.decode_error, `truncated: need ${n} bytes, have ${this.remaining}`, { reason: 'ERR_LENGTH_MISMATCH' });
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.offset++]!;
  }

  u16(): number {
    this.need(2);
    const b = this.buf;
    const o = this.offset;
    this.offset = o + 2;
    return (b[o]! << 8) | b[o + 1]!;
  }

  u24(): number {
    this.need(3);
    const b = this.buf;
    const o = this.offset;
    this.offset = o + 3;
    return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
  }

  u32(): number {
    this.need(4);
    const b = this.buf;
    const o = this.offset;
    this.offset = o + 4;
    return ((b[o]! << 24) >>> 0) + ((b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!);
  }

  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  /** opaque v<0..2^8-1> */
  vec8(): Uint8Array {
    return this.bytes(this.u8());
  }

  /** opaque v<0..2^16-1> */
  vec16(): Uint8Array {
    return this.bytes(this.u16());
  }

  /** opaque v<0..2^24-1> */
  vec24(): Uint8Array {
    return this.bytes(this.u24());
  }

  /** Skips `n` bytes (an extension ignored) without a view of them. */
  skip(n: number): void {
    this.need(n);
    this.offset += n;
  }

  /** A sub-reader over the next `n` bytes, which it alone reads: this reader moves past them. */
  private sub(n: number): Reader {
    this.need(n);
    const start = this.offset;
    this.offset += n;
    return new Reader(this.buf, start, start + n);
  }

  /** A sub-reader over a length-prefixed block; the caller must consume it all. */
  sub8(): Reader {
    return this.sub(this.u8());
  }

  sub16(): Reader {
    return this.sub(this.u16());
  }

  sub24(): Reader {
    return this.sub(this.u24());
  }

  /** A decoder must consume exactly its input. */
  expectEmpty(what: string): void {
    if (this.offset !== this.end) {
      throw new TlsError(AlertDescription.decode_error, `${this.remaining} trailing bytes after ${what}`, { reason: 'ERR_LENGTH_MISMATCH' });
    }
  }
}
