import type { SecureContextOptions, TlsOptions } from 'node:tls';
import { TlsContext } from '../context.js';
import { secureContextOptions, type ServerOptions } from './options.js';
import { validateObject } from './validate.js';

/**
 * node:tls's createSecureContext options, as puretls takes them (node's types, so code
 * written for node:tls type-checks; what puretls cannot do is refused by name at runtime),
 * plus the client-auth policy a virtual host may tighten and ALPNProtocols.
 */
export type SecureContextInput = SecureContextOptions &
  Pick<ServerOptions, 'requestCert' | 'rejectUnauthorized' | 'maxCertificateChain'> &
  Pick<TlsOptions, 'ALPNProtocols'>;

/**
 * node:tls's createSecureContext: a TlsContext (puretls's SSL_CTX, immutable once made)
 * from node-style options. It has no session id context unless `sessionIdContext` is given
 * (a server that serves it through SNICallback or addContext gives it the server's), and
 * OpenSSL's session lifetime (7200 s) unless `sessionTimeout` is given.
 */
export function createSecureContext(options: SecureContextInput = {}): SecureContext {
  validateObject(options, 'options');
  const ctxOptions = secureContextOptions(options as ServerOptions);
  if (options.sessionIdContext === undefined) delete ctxOptions.sessionIdContext;
  if (options.sessionTimeout === undefined) delete ctxOptions.sessionTimeout;
  return new SecureContext(ctxOptions);
}

/**
 * What createSecureContext returns: a TlsContext that also has node:tls's SecureContext
 * shape (its `context`), so it goes wherever node's typings expect a SecureContext
 * (an SNICallback's answer, addContext).
 */
export class SecureContext extends TlsContext {
  /** node:tls's SecureContext.context is its native SSL_CTX; here it is the context itself. */
  get context(): TlsContext {
    return this;
  }
}
