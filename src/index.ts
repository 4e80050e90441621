// puretls: the sans-IO core (also alone as `puretls/core`) and the Node embedding.
// `import tls from 'puretls'` gives an object shaped like node:tls (see src/node/tls.ts).
export * from './core.js';
export { createServer, Server, type SecureConnectionListener } from './node/server.js';
export { TlsSocket, type TlsSocketOptions, type NodeTlsSocketOptions } from './node/socket.js';
export { createSecureContext, type SecureContextInput } from './node/secure-context.js';
export { nodeDefaultSessionIdContext, type ServerOptions } from './node/options.js';
export { http2Listener, type Http2Options } from './node/http2.js';
export { getCiphers, DEFAULT_CIPHERS, DEFAULT_ECDH_CURVE, DEFAULT_MAX_VERSION, DEFAULT_MIN_VERSION } from './node/tls.js';
export { default } from './node/tls.js';
export { SecureContext } from './node/secure-context.js';
