import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, PeerCertificate } from 'node:tls';

/**
 * node:tls's certificate objects, built by node's own code: `X509Certificate.toLegacyObject()`
 * is the X509ToObject that node:tls's getPeerCertificate() and getCertificate() run, so
 * every field (subject, issuer, subjectaltname, infoAccess, ca, bits, pubkey, asn1Curve,
 * nistCurve, modulus, exponent, valid_from, valid_to, fingerprint, fingerprint256,
 * fingerprint512, ext_key_usage, serialNumber, raw) is node's, byte for byte.
 */
export function legacyCertificate(der: Uint8Array): PeerCertificate {
  return new X509Certificate(der).toLegacyObject();
}

/**
 * getPeerCertificate(true): the leaf, then `issuerCertificate` links to each issuer, the
 * way node builds it (GetPeerCert in crypto_common.cc): first through the certificates the
 * client sent (AddIssuerChainToObject: any order, X509_check_issued decides), then through
 * the context's trust anchors (GetLastIssuedCert: SSL_CTX_get_issuer); a self-issued last
 * certificate points to itself.
 */
export function detailedPeerCertificate(chain: readonly Uint8Array[], anchors: readonly Uint8Array[]): DetailedPeerCertificate {
  const [leafDer, ...restDer] = chain;
  if (leafDer === undefined) throw new RangeError('no certificate');
  let cert = new X509Certificate(leafDer);
  const result = cert.toLegacyObject() as DetailedPeerCertificate;
  let object = result;
  const rest = restDer.map((der) => new X509Certificate(der));
  for (;;) {
    const i = rest.findIndex((ca) => cert.checkIssued(ca));
    if (i < 0) break;
    const issuer = rest.splice(i, 1)[0]!;
    object = object.issuerCertificate = issuer.toLegacyObject() as DetailedPeerCertificate;
    cert = issuer;
  }
  const store = anchors.map((der) => new X509Certificate(der));
  // Each anchor at most once: two anchors that issued each other end the walk instead of looping.
  for (let steps = 0; steps < store.length && !cert.checkIssued(cert); steps++) {
    const ca = store.find((a) => cert.checkIssued(a));
    if (!ca) break;
    object = object.issuerCertificate = ca.toLegacyObject() as DetailedPeerCertificate;
    cert = ca;
  }
  if (cert.checkIssued(cert)) object.issuerCertificate = object;
  return result;
}
