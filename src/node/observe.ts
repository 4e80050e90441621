import { channel } from 'node:diagnostics_channel';
import { debuglog } from 'node:util';

/**
 * `NODE_DEBUG=puretls` (or node's own `NODE_DEBUG=tls`): one line per connection event,
 * as node:tls's debug output, through util.debuglog.
 */
const puretlsLog = debuglog('puretls');
const tlsLog = debuglog('tls');

export function debug(format: string, ...args: unknown[]): void {
  if (puretlsLog.enabled) puretlsLog(format, ...args);
  else if (tlsLog.enabled) tlsLog(format, ...args);
}

export function debugEnabled(): boolean {
  return puretlsLog.enabled || tlsLog.enabled;
}

/**
 * diagnostics_channel events for APM tools (node:tls publishes none for TLS handshakes):
 *   puretls:handshake:start  { socket, server }                   a TCP connection was accepted
 *   puretls:handshake:end    { socket, server, durationMs }       secureConnection is next
 *   puretls:handshake:error  { socket, server, error, durationMs } tlsClientError is next
 * Messages are made only when someone subscribes.
 */
export const handshakeStart = channel('puretls:handshake:start');
export const handshakeEnd = channel('puretls:handshake:end');
export const handshakeError = channel('puretls:handshake:error');
