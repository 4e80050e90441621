/**
 * How a server treats client certificates: OpenSSL's verify mode, which `SSL_new` copies from
 * the SSL_CTX into each connection and `SSL_set_SSL_CTX` does not take back.
 *   'none'    SSL_VERIFY_NONE: no CertificateRequest;
 *   'request' SSL_VERIFY_PEER: ask, and report what came (requestCert, rejectUnauthorized false);
 *   'require' SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, and a chain that does not verify
 *             is refused too (requestCert with rejectUnauthorized, node:tls's default).
 */
export type ClientAuthMode = 'none' | 'request' | 'require';

const STRICTNESS: Readonly<Record<ClientAuthMode, number>> = { none: 0, request: 1, require: 2 };

/** The mode that node:tls's `requestCert` and `rejectUnauthorized` (default true) describe. */
export function clientAuthMode(requestCert: boolean, rejectUnauthorized: boolean): ClientAuthMode {
  if (!requestCert) return 'none';
  return rejectUnauthorized ? 'require' : 'request';
}

/**
 * The stricter of two modes. A virtual host reached by SNI may ask more of the client than
 * the connection's policy, never less (docs/SPEC-sid-ctx.md, "What else a connection keeps").
 */
export function stricterClientAuth(a: ClientAuthMode, b: ClientAuthMode): ClientAuthMode {
  return STRICTNESS[b] > STRICTNESS[a] ? b : a;
}
