import { Writer } from '../../codec/writer.js';

/** A handshake message: 1-byte type, 3-byte length, body (RFC 5246 §7.4). */
export function encodeHandshake(type: number, body: (w: Writer) => void, sizeHint = 128): Uint8Array {
  const w = new Writer(sizeHint);
  w.u8(type).lengthPrefixed(3, body);
  return w.finish();
}
