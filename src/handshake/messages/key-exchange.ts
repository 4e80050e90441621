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

export function encodeServerHelloDone(): Uint8Array {
  return Uint8Array.of(HandshakeType.server_hello_done, 0, 0, 0);
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
