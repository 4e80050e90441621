import { SignatureScheme } from '../codec/enums.js';
import type { SignatureHash } from '../crypto/provider.js';

/**
 * The ECDSA signature schemes (RFC 8446 §4.2.3 code points, used by TLS 1.2 too) we sign or
 * verify with, by the hash each names. In TLS 1.2 the scheme names the hash only; the curve
 * binds in TLS 1.3. Never SHA-1 (RFC 9155).
 */
export const ECDSA_SCHEME_HASH: ReadonlyMap<number, SignatureHash> = new Map([
  [SignatureScheme.ecdsa_secp256r1_sha256, 'sha256'],
  [SignatureScheme.ecdsa_secp384r1_sha384, 'sha384'],
  [SignatureScheme.ecdsa_secp521r1_sha512, 'sha512'],
  [SignatureScheme.ecdsa_sha224, 'sha224'],
]);
