/**
 * A copy of `b` in a fresh buffer. Not `b.slice()`: on a Node Buffer, `slice` is a view
 * (Buffer.prototype.slice shares memory), and bytes from a socket are Buffers.
 */
export function copyBytes(b: Uint8Array): Uint8Array {
  return new Uint8Array(b);
}
