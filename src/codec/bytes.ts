/**
 * A copy of `b` in a fresh buffer. Not `b.slice()`: on a Node Buffer, `slice` is a view
 * (Buffer.prototype.slice shares memory), and bytes from a socket are Buffers.
 */
export function copyBytes(b: Uint8Array): Uint8Array {
  return new Uint8Array(b);
}

/**
 * The parts one after another, in one fresh buffer: a buffer of its own, or, for bytes
 * still inside the core on their way out, one from `transientBytes`.
 */
export function concatBytes(parts: readonly Uint8Array[], allocate: (n: number) => Uint8Array = (n) => new Uint8Array(n)): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = allocate(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * What transientBytes carves a slab into, and the largest request it serves from one:
 * anything longer is an array of its own, which can leave the core as it is.
 */
const SLAB_SIZE = 8192;
export const MAX_FROM_SLAB = SLAB_SIZE / 2;
/** V8 keeps a typed array of up to 64 bytes on its own heap, which is cheap to make. */
const MAX_ON_HEAP = 64;

let slab = new ArrayBuffer(0);
let slabUsed = 0;

/**
 * A zeroed buffer of n bytes for bytes on their way through the core: encoded handshake
 * messages, and records until `takeOutput` hands them over in a buffer of the caller's
 * own (ownedBytes). V8 gives a typed array of more than 64 bytes an ArrayBuffer of its
 * own, which costs 1.2–2.9 µs on this machine against about 30 ns for a view of a bigger
 * one, and a resumed handshake made about five; so, as Node's Buffer.allocUnsafe pools,
 * these are views carved in turn from a shared 8 KiB slab, which the garbage collector
 * frees once no view of it is left. A slab is never carved twice, so what this returns is
 * fresh zeroes, as `new Uint8Array(n)` is. Not for what a connection or a session keeps
 * (a view keeps its whole slab alive), nor for what leaves the core, nor above 4 KiB
 * (bulk records), nor for 64 bytes or fewer: those are plain typed arrays.
 */
export function transientBytes(n: number): Uint8Array {
  if (n <= MAX_ON_HEAP || n > MAX_FROM_SLAB) return new Uint8Array(n);
  if (slabUsed + n > slab.byteLength) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabUsed = 0;
  }
  const view = new Uint8Array(slab, slabUsed, n);
  slabUsed += (n + 7) & ~7; // views 8-byte aligned, as Node's pool keeps them
  return view;
}

/**
 * `b` in a buffer of the caller's if transientBytes may have carved it from a slab: what
 * leaves the core is the caller's, who may transfer its `.buffer` to a worker (which would
 * detach every other view of the slab) or keep it for as long as it likes. Given
 * `allocate` (an adapter's pool), every `b` transientBytes could have made goes there, the
 * short ones too: a typed array of 64 bytes or fewer lives inside V8's heap, and the
 * first read of its `.buffer` (a Node Buffer over it, for a socket write) moves it out,
 * 1.4 µs against 0.1 for a copy into Node's pool.
 */
export function ownedBytes(b: Uint8Array, allocate?: (n: number) => Uint8Array): Uint8Array {
  if (b.length > MAX_FROM_SLAB) return b;
  if (allocate === undefined) return b.length <= MAX_ON_HEAP ? b : new Uint8Array(b);
  const out = allocate(b.length);
  out.set(b);
  return out;
}

/** `v` (0..2^32-1) as four big-endian bytes at `out[at]`. */
export function writeUint32BE(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = v >>> 16;
  out[at + 2] = v >>> 8;
  out[at + 3] = v;
}

/** Equality of public bytes (for secrets use constantTimeEqual from the crypto provider). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lower-case hex, as key logs and OpenSSL's dumps write it. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += (b[i]! < 16 ? '0' : '') + b[i]!.toString(16);
  return s;
}

/**
 * Bytes as a string of char codes 0..255 (latin1): byte-preserving, and a cheap exact key for
 * Maps (a session ID is looked up this way on every resumption). `apply` on the typed array
 * itself, which is several times faster than spreading it; in slices, because a large
 * argument list overflows the stack.
 */
export function latin1String(bytes: Uint8Array): string {
  const chars = (b: Uint8Array): string => String.fromCharCode.apply(null, b as unknown as number[]);
  if (bytes.length <= LATIN1_SLICE) return chars(bytes);
  let s = '';
  for (let i = 0; i < bytes.length; i += LATIN1_SLICE) s += chars(bytes.subarray(i, i + LATIN1_SLICE));
  return s;
}

const LATIN1_SLICE = 0x2000;

/** The reverse of latin1String; a character above U+00FF is a RangeError. */
export function latin1Bytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) throw new RangeError(`character U+${c.toString(16).padStart(4, '0')} does not fit in a byte`);
    out[i] = c;
  }
  return out;
}
