import { checkServerIdentity, rootCertificates } from 'node:tls';

import { SUITES } from '../protocol/suites.js';
import { SecureContext, createSecureContext } from './secure-context.js';
import { Server, createServer } from './server.js';
import { TlsSocket } from './socket.js';

/** The lowest protocol: TLSv1.2, the only one puretls speaks (node:tls's DEFAULT_MIN_VERSION). */
export const DEFAULT_MIN_VERSION = 'TLSv1.2';
/** The highest protocol: TLSv1.2 as well (node:tls's DEFAULT_MAX_VERSION is TLSv1.3). */
export const DEFAULT_MAX_VERSION = 'TLSv1.2';
/** The groups: X25519, P-256, P-384 in that order (node:tls's default is 'auto' too). */
export const DEFAULT_ECDH_CURVE = 'auto';
/** Every suite puretls implements, in its default (server) preference, OpenSSL's names. */
export const DEFAULT_CIPHERS = SUITES.map((s) => s.opensslName).join(':');

/** node:tls's getCiphers(): the suites puretls implements, OpenSSL names in lower case. */
export function getCiphers(): string[] {
  return SUITES.map((s) => s.opensslName.toLowerCase());
}

/**
 * The default export: an object shaped like node:tls's module, for `import tls from
 * 'puretls'` in place of `import tls from 'node:tls'`. Server side only: there is no
 * `connect` (puretls has no client), and SecureContext is puretls's TlsContext.
 * `checkServerIdentity` and `rootCertificates` are node:tls's own.
 */
const tls = {
  createServer,
  createSecureContext,
  Server,
  TLSSocket: TlsSocket,
  SecureContext,
  getCiphers,
  checkServerIdentity,
  rootCertificates,
  DEFAULT_MIN_VERSION,
  DEFAULT_MAX_VERSION,
  DEFAULT_ECDH_CURVE,
  DEFAULT_CIPHERS,
} as const;

export default tls;
