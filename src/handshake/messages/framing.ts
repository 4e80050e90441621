import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { AlertDescription, TlsError } from '../../errors.js';

/** A handshake message: 1-byte type, 3-byte length, body (RFC 5246 §7.4). */
export function encodeHandshake(type: number, body: (w: Writer) => void, sizeHint = 128): Uint8Array {
  const w = new Writer(sizeHint);
  w.u8(type).lengthPrefixed(3, body);
  return w.finish();
}

/** A handshake message around a body that is already encoded (a copy). */
export function frameHandshake(type: number, body: Uint8Array): Uint8Array {
  return encodeHandshake(type, (w) => w.bytes(body), body.length + 4);
}

/**
 * The body of one whole handshake message of the given type: the inverse of the encoders,
 * which return messages with their header. The record layer's joiner does this for the
 * server; round-trip tests and the test client use this.
 */
export function handshakeBody(message: Uint8Array, type: number): Uint8Array {
  const r = new Reader(message);
  const actual = r.u8();
  if (actual !== type) throw new TlsError(AlertDescription.unexpected_message, `handshake message ${actual} where ${type} was expected`);
  const body = r.vec24();
  r.expectEmpty('handshake message');
  return body;
}
