import { NamedGroup } from '../codec/enums.js';
import type { EcdheGroup, EcdsaCurve } from '../crypto/provider.js';
import { byPreference, type ServerCertificate } from '../pki/server-certificate.js';
import type { CipherSuite } from '../protocol/suites.js';

/** The groups we implement, by wire code point. */
export const GROUPS: ReadonlyMap<number, EcdheGroup> = new Map([
  [NamedGroup.x25519, 'x25519'],
  [NamedGroup.secp256r1, 'secp256r1'],
  [NamedGroup.secp384r1, 'secp384r1'],
]);

/**
 * The enabled suites the client offered, best first: in our order (OpenSSL's
 * SSL_OP_CIPHER_SERVER_PREFERENCE), or, when asked, in the client's.
 */
export function offeredSuitesInPreferenceOrder(
  offered: readonly number[],
  enabled: readonly CipherSuite[],
  clientPreference = false,
): CipherSuite[] {
  if (!clientPreference) return enabled.filter((s) => offered.includes(s.id));
  const out: CipherSuite[] = [];
  for (const id of offered) {
    const suite = enabled.find((s) => s.id === id);
    if (suite && !out.includes(suite)) out.push(suite);
  }
  return out;
}

/**
 * Server preference among the client's supported_groups. A client that sends no
 * supported_groups predates RFC 8422's list; secp256r1 is the curve every such client has.
 */
export function selectGroup(offered: readonly number[] | undefined, enabled: readonly number[]): number | undefined {
  if (offered === undefined) return enabled.includes(NamedGroup.secp256r1) ? NamedGroup.secp256r1 : undefined;
  return enabled.find((g) => offered.includes(g));
}

/** The certificate, suite and ServerKeyExchange signature chosen for one client. */
export interface CertificateChoice {
  kind: 'selected';
  certificate: ServerCertificate;
  suite: CipherSuite;
  /** The signature scheme (code point) the ServerKeyExchange is signed with. */
  signatureScheme: number;
}

/** Why no certificate could serve the client, for the handshake_failure it gets. */
export type CertificateRefusal =
  /** No enabled suite offered, or none whose kind of certificate we have. */
  | { kind: 'no-shared-cipher' }
  /** The client's supported_groups leave out our ECDSA certificate's curve (RFC 8422 §5.1). */
  | { kind: 'curve-not-accepted'; curve: string }
  /** The client accepts no signature scheme our key signs with (none at all: RFC 9155 forbids the SHA-1 default). */
  | { kind: 'no-signature-scheme'; certificate: ServerCertificate; offered: readonly number[] | undefined };

export interface CertificateRequestFacts {
  cipherSuites: readonly number[];
  signatureAlgorithms: readonly number[] | undefined;
  supportedGroups: readonly number[] | undefined;
}

/**
 * Picks the certificate and the suite together, as OpenSSL's ssl3_choose_cipher does: suites
 * in preference order (ours, or the client's when asked), and for each the first of our
 * certificates of its kind (EC, then EdDSA, then RSA: `byPreference`) that the client
 * accepts: an EC certificate's curve in its supported_groups (RFC 8422 §5.1), and a
 * signature scheme of the key in its signature_algorithms. With our default order (every
 * ECDSA suite before the RSA ones) a context with both serves ECDSA to any client that takes
 * it, and RSA to the others. The ServerKeyExchange scheme is the key's first that the client
 * offered (RSA: PSS before PKCS#1 v1.5, the hash by strength; no SHA-1, RFC 9155). A client
 * without signature_algorithms gets nothing: its RFC 5246 default is SHA-1.
 */
export function selectCertificate(
  hello: CertificateRequestFacts,
  certificates: readonly ServerCertificate[],
  enabled: readonly CipherSuite[],
  clientPreference = false,
): CertificateChoice | CertificateRefusal {
  const ordered = byPreference(certificates);
  let refusal: CertificateRefusal | undefined;
  for (const suite of offeredSuitesInPreferenceOrder(hello.cipherSuites, enabled, clientPreference)) {
    for (const certificate of ordered) {
      if (certificate.auth !== suite.auth) continue;
      const why = certificateRefusal(hello, certificate);
      if (why) {
        refusal ??= why;
        continue;
      }
      const signatureScheme = certificate.signatureSchemes.find((s) => hello.signatureAlgorithms!.includes(s))!;
      return { kind: 'selected', certificate, suite, signatureScheme };
    }
  }
  return refusal ?? { kind: 'no-shared-cipher' };
}

/** Why the client cannot take this certificate, or undefined if it can. */
function certificateRefusal(hello: CertificateRequestFacts, certificate: ServerCertificate): CertificateRefusal | undefined {
  const groups = hello.supportedGroups;
  if (certificate.curve !== undefined && groups !== undefined && !groups.includes(CERTIFICATE_GROUP[certificate.curve])) {
    return { kind: 'curve-not-accepted', curve: certificate.curve };
  }
  const offered = hello.signatureAlgorithms;
  if (offered === undefined || !certificate.signatureSchemes.some((s) => offered.includes(s))) {
    return { kind: 'no-signature-scheme', certificate, offered };
  }
  return undefined;
}

const CERTIFICATE_GROUP: Readonly<Record<EcdsaCurve, number>> = { 'P-256': NamedGroup.secp256r1, 'P-384': NamedGroup.secp384r1 };

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
