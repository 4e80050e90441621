// puretls/core: the sans-IO TLS 1.2 server. Nothing here imports `node:*`, so it bundles
// for browsers, workers and other runtimes (bytes in, bytes out).
export {
  TlsContext,
  DEFAULT_SESSION_TIMEOUT,
  type TlsContextOptions,
  type SniCallback,
  type ServerSessionSettings,
} from './context.js';
export { ServerConnection, MIN_SEND_FRAGMENT, MAX_SEND_FRAGMENT, type ConnectionOptions, type CipherInfo, type PeerVerification } from './connection.js';
export type { ClientAuthMode } from './client-auth-mode.js';
export { AlertDescription, AlertLevel, TlsError, TlsConfigError, TlsDecodeError, alertName } from './errors.js';
export { Session, MAX_SID_CTX_LENGTH, type SessionFields } from './session/session.js';
export { SessionStats, FailureCounters } from './session/session-stats.js';
export { ServerSessions } from './session/server-sessions.js';
export type { SessionCache, SessionStoreStats } from './session/cache.js';
export type { MaybePromise } from './maybe-promise.js';
export { MemorySessionCache, DEFAULT_CACHE_SIZE, type MemorySessionCacheOptions } from './session/memory-cache.js';
export { decideResumption, type ResumptionDecision, type ResumptionRequest, type MissReason } from './session/resumption.js';
export { SUITES, type CipherSuite } from './protocol/suites.js';
export type { CryptoProvider } from './crypto/provider.js';
export { NobleCryptoProvider, defaultCryptoProvider, type NobleCryptoProviderOptions } from './crypto/noble.js';
export {
  TicketKeyring,
  TICKET_KEYS_LENGTH,
  isTicketKeySource,
  type TicketKeyringOptions,
  type TicketKeySource,
  type TicketKeySet,
} from './session/tickets.js';
export { createSelfSignedCertificate, loadPrivateKey, loadAnyPrivateKey, loadCertificateChain, type SelfSignedOptions } from './pki/index.js';
export type { ServerCertificate, ServerKeyType } from './pki/server-certificate.js';
