import { HandshakeType } from '../../codec/enums.js';
import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { AlertDescription, TlsError } from '../../errors.js';
import { encodeHandshake } from './framing.js';

const NAMED_CURVE = 3; // RFC 8422 §5.4 ECCurveType.named_curve

/** ServerECDHParams (RFC 8422 §5.4): what the signature covers, after the two randoms. */
export function encodeEcdheParams(group: number, publicKey: Uint8Array): Uint8Array {
  return new Writer(4 + publicKey.length).u8(NAMED_CURVE).u16(group).vec8(publicKey).finish();
}

export function encodeServerKeyExchange(params: Uint8Array, signatureScheme: number, signature: Uint8Array): Uint8Array {
  return encodeHandshake(
    HandshakeType.server_key_exchange,
    (w) => {
      w.bytes(params).u16(signatureScheme).vec16(signature);
    },
    params.length + signature.length + 8,
  );
}

/**
 * ServerKeyExchange for ECDHE (RFC 8422 §5.4): the named group and our ephemeral point,
 * signed. `params` is the ServerECDHParams as on the wire, the bytes the signature covers
 * after the two randoms.
 */
export interface ServerKeyExchange {
  group: number;
  publicKey: Uint8Array;
  params: Uint8Array;
  signatureScheme: number;
  signature: Uint8Array;
}

/** The client's side of RFC 8422 §5.4: named curves only (explicit curves are deprecated, §5.1.1). */
export function decodeServerKeyExchange(body: Uint8Array): ServerKeyExchange {
  const r = new Reader(body);
  const curveType = r.u8();
  if (curveType !== NAMED_CURVE) throw new TlsError(AlertDescription.illegal_parameter, `ServerKeyExchange curve type ${curveType}`);
  const group = r.u16();
  const publicKey = r.vec8();
  if (publicKey.length === 0) throw new TlsError(AlertDescription.decode_error, 'ServerKeyExchange carries no public key');
  const params = body.subarray(0, r.position);
  const signatureScheme = r.u16();
  const signature = r.vec16();
  r.expectEmpty('ServerKeyExchange');
  return { group, publicKey, params, signatureScheme, signature };
}

export function encodeServerHelloDone(): Uint8Array {
  return Uint8Array.of(HandshakeType.server_hello_done, 0, 0, 0);
}

/** ServerHelloDone has no body (RFC 5246 §7.4.5). */
export function decodeServerHelloDone(body: Uint8Array): void {
  if (body.length !== 0) throw new TlsError(AlertDescription.decode_error, `ServerHelloDone with a body of ${body.length} bytes`);
}

export function encodeClientKeyExchange(publicKey: Uint8Array): Uint8Array {
  return encodeHandshake(
    HandshakeType.client_key_exchange,
    (w) => {
      w.vec8(publicKey);
    },
    publicKey.length + 5,
  );
}

/** ClientECDiffieHellmanPublic (RFC 8422 §5.7): the client's ephemeral point. */
export function decodeClientKeyExchange(body: Uint8Array): Uint8Array {
  const r = new Reader(body);
  const point = r.vec8();
  r.expectEmpty('ClientKeyExchange');
  // An empty point would mean "implicit" (fixed ECDH client certificates), which we never agree to.
  if (point.length === 0) throw new TlsError(AlertDescription.decode_error, 'ClientKeyExchange carries no public key');
  return point;
}
