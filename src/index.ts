// puretls: the sans-IO core (also alone as `puretls/core`) and the Node embedding.
export * from './core.js';
export { createServer, Server, type SecureConnectionListener } from './node/server.js';
export { TlsSocket } from './node/socket.js';
export { nodeDefaultSessionIdContext, type ServerOptions } from './node/options.js';
