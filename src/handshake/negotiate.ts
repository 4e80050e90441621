import { NamedGroup, SignatureScheme } from '../codec/enums.js';
import type { EcdheGroup, EcdsaCurve, SignatureHash } from '../crypto/provider.js';
import { ECDSA_SCHEME_HASH } from '../protocol/signature-schemes.js';
import type { CipherSuite } from '../protocol/suites.js';

/** The groups we implement, by wire code point. */
export const GROUPS: ReadonlyMap<number, EcdheGroup> = new Map([
  [NamedGroup.x25519, 'x25519'],
  [NamedGroup.secp256r1, 'secp256r1'],
  [NamedGroup.secp384r1, 'secp384r1'],
]);

/**
 * Server preference (OpenSSL's SSL_OP_CIPHER_SERVER_PREFERENCE): the first enabled suite the
 * client offered; or, when asked, the client's first suite that is enabled.
 */
export function selectCipherSuite(
  offered: readonly number[],
  enabled: readonly CipherSuite[],
  clientPreference = false,
): CipherSuite | undefined {
  if (!clientPreference) return enabled.find((s) => offered.includes(s.id));
  for (const id of offered) {
    const suite = enabled.find((s) => s.id === id);
    if (suite) return suite;
  }
  return undefined;
}

/**
 * Server preference among the client's supported_groups. A client that sends no
 * supported_groups predates RFC 8422's list; secp256r1 is the curve every such client has.
 */
export function selectGroup(offered: readonly number[] | undefined, enabled: readonly number[]): number | undefined {
  if (offered === undefined) return enabled.includes(NamedGroup.secp256r1) ? NamedGroup.secp256r1 : undefined;
  return enabled.find((g) => offered.includes(g));
}

export interface SignatureChoice {
  scheme: number;
  hash: SignatureHash;
}

/**
 * The certificate curve's own hash first, then the stronger ones, SHA-224 (112-bit, still
 * allowed at OpenSSL's default security level) last.
 */
const PREFERENCE: Readonly<Record<EcdsaCurve, readonly number[]>> = {
  'P-256': [
    SignatureScheme.ecdsa_secp256r1_sha256,
    SignatureScheme.ecdsa_secp384r1_sha384,
    SignatureScheme.ecdsa_secp521r1_sha512,
    SignatureScheme.ecdsa_sha224,
  ],
  'P-384': [
    SignatureScheme.ecdsa_secp384r1_sha384,
    SignatureScheme.ecdsa_secp521r1_sha512,
    SignatureScheme.ecdsa_secp256r1_sha256,
    SignatureScheme.ecdsa_sha224,
  ],
};

/**
 * The ServerKeyExchange signature. In TLS 1.2 an ECDSA scheme names the hash only (the
 * curve in names such as ecdsa_secp256r1_sha256 binds only in TLS 1.3), so any offered
 * ECDSA+SHA-2 scheme works with either curve. A client that sends no signature_algorithms
 * gets none: RFC 5246's default would be {sha1, ecdsa}, which RFC 9155 forbids, and our
 * suites always sign (OpenSSL 3.0 refuses such a client with handshake_failure too).
 */
export function selectSignatureScheme(offered: readonly number[] | undefined, curve: EcdsaCurve): SignatureChoice | undefined {
  if (offered === undefined) return undefined;
  const scheme = PREFERENCE[curve].find((s) => offered.includes(s));
  return scheme === undefined ? undefined : { scheme, hash: ECDSA_SCHEME_HASH.get(scheme)! };
}

export type AlpnChoice = { kind: 'none' } | { kind: 'selected'; protocol: string } | { kind: 'no-overlap' };

/**
 * RFC 7301 §3.2 with server preference (what node:tls does through SSL_select_next_proto).
 * No ALPN configured, or none offered, means no ALPN in the ServerHello.
 */
export function selectAlpn(offered: readonly string[] | undefined, configured: readonly string[] | undefined): AlpnChoice {
  if (!offered || !configured || configured.length === 0) return { kind: 'none' };
  const protocol = configured.find((p) => offered.includes(p));
  return protocol === undefined ? { kind: 'no-overlap' } : { kind: 'selected', protocol };
}
