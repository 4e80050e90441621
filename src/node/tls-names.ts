import { CLIENT_SIGNATURE_SCHEMES } from '../handshake/client-auth.js';
import { ECDSA_SCHEME_HASH } from '../protocol/signature-schemes.js';

/**
 * Signature schemes by OpenSSL's TLS 1.2 preference (tls12_sigalgs in ssl/t1_lib.c), each
 * with the name node:tls's getSharedSigalgs() gives it (`sign+hash`, "UNDEF" without a
 * separate hash, as GetSharedSigalgs in crypto_common.cc spells them).
 */
const OPENSSL_SIGALGS: ReadonlyArray<readonly [number, string]> = [
  [0x0403, 'ECDSA+SHA256'],
  [0x0503, 'ECDSA+SHA384'],
  [0x0603, 'ECDSA+SHA512'],
  [0x0807, 'Ed25519+UNDEF'],
  [0x0808, 'Ed448+UNDEF'],
  [0x0809, 'RSA-PSS+SHA256'],
  [0x080a, 'RSA-PSS+SHA384'],
  [0x080b, 'RSA-PSS+SHA512'],
  [0x0804, 'RSA-PSS+SHA256'],
  [0x0805, 'RSA-PSS+SHA384'],
  [0x0806, 'RSA-PSS+SHA512'],
  [0x0401, 'RSA+SHA256'],
  [0x0501, 'RSA+SHA384'],
  [0x0601, 'RSA+SHA512'],
  [0x0303, 'ECDSA+SHA224'],
  [0x0301, 'RSA+SHA224'],
];

/** The schemes puretls signs with or accepts from clients. */
function supportedSchemes(): ReadonlySet<number> {
  return new Set([...ECDSA_SCHEME_HASH.keys(), ...CLIENT_SIGNATURE_SCHEMES]);
}

/**
 * node:tls's getSharedSigalgs() on a server: the client's signature_algorithms that we
 * support too, in OpenSSL's preference order (which is what node 20 reports).
 */
export function sharedSigalgs(clientSchemes: readonly number[] | undefined): string[] {
  if (!clientSchemes) return [];
  const supported = supportedSchemes();
  return OPENSSL_SIGALGS.filter(([scheme]) => supported.has(scheme) && clientSchemes.includes(scheme)).map(([, name]) => name);
}
