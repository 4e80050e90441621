// The sans-IO core: usable without Node's networking.
export { TlsContext, SessionStats, DEFAULT_SESSION_TIMEOUT, type TlsContextOptions, type SniCallback } from './context.js';
export { ServerConnection, type ConnectionOptions, type CipherInfo } from './connection.js';
export { AlertDescription, AlertLevel, TlsError, TlsConfigError, TlsDecodeError, alertName } from './errors.js';
export { Session, MAX_SID_CTX_LENGTH, type SessionFields } from './session/session.js';
export type { SessionCache, MaybePromise } from './session/cache.js';
export { MemorySessionCache, DEFAULT_CACHE_SIZE, type MemorySessionCacheOptions } from './session/memory-cache.js';
export { decideResumption, type ResumptionDecision, type ResumptionRequest, type MissReason } from './session/resumption.js';
export { SUITES, type CipherSuite } from './handshake/suites.js';
export type { CryptoProvider } from './crypto/provider.js';
export { NobleCryptoProvider, defaultCryptoProvider, type NobleCryptoProviderOptions } from './crypto/noble.js';
export { TicketKeyring, TICKET_KEYS_LENGTH, type TicketKeyringOptions } from './session/tickets.js';
export { createSelfSignedCertificate, loadPrivateKey, loadCertificateChain, type SelfSignedOptions } from './pki/index.js';
// The Node embedding.
export { createServer, Server, type SecureConnectionListener } from './node/server.js';
export { TlsSocket } from './node/socket.js';
export { nodeDefaultSessionIdContext, type ServerOptions } from './node/options.js';
