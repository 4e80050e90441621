import { transientBytes } from './bytes.js';

/**
 * A growable byte buffer for encoding wire messages (its buffers come from transientBytes:
 * what it encodes is sent or hashed, not kept). Length prefixes are back-patched so
 * nested structures are written in one pass without intermediate copies.
 */
export class Writer {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = transientBytes(initialCapacity);
  }

  get length(): number {
    return this.len;
  }

  private reserve(n: number): void {
    const need = this.len + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = transientBytes(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.len++] = v;
    return this;
  }

  u16(v: number): this {
    this.reserve(2);
    this.buf[this.len++] = v >>> 8;
    this.buf[this.len++] = v;
    return this;
  }

  u24(v: number): this {
    this.reserve(3);
    this.buf[this.len++] = v >>> 16;
    this.buf[this.len++] = v >>> 8;
    this.buf[this.len++] = v;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.buf[this.len++] = v >>> 24;
    this.buf[this.len++] = v >>> 16;
    this.buf[this.len++] = v >>> 8;
    this.buf[this.len++] = v;
    return this;
  }

  bytes(b: Uint8Array): this {
    this.reserve(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
    return this;
  }

  vec8(b: Uint8Array): this {
    if (b.length > 0xff) throw new RangeError(`vector of ${b.length} bytes exceeds a 1-byte length`);
    return this.u8(b.length).bytes(b);
  }

  vec16(b: Uint8Array): this {
    if (b.length > 0xffff) throw new RangeError(`vector of ${b.length} bytes exceeds a 2-byte length`);
    return this.u16(b.length).bytes(b);
  }

  vec24(b: Uint8Array): this {
    if (b.length > 0xffffff) throw new RangeError(`vector of ${b.length} bytes exceeds a 3-byte length`);
    return this.u24(b.length).bytes(b);
  }

  /** Writes a `size`-byte length prefix for whatever `body` writes. */
  lengthPrefixed(size: 1 | 2 | 3, body: (w: this) => void): this {
    this.reserve(size);
    const at = this.len;
    this.len += size;
    body(this);
    const n = this.len - at - size;
    if (n >= 1 << (8 * size)) throw new RangeError(`block of ${n} bytes exceeds a ${size}-byte length`);
    for (let i = size - 1; i >= 0; i--) this.buf[at + (size - 1 - i)] = (n >>> (8 * i)) & 0xff;
    return this;
  }

  /** The bytes written so far (a view; do not keep the writer afterwards). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}
