import type { Socket } from 'node:net';

/**
 * The one place puretls reaches under net.Socket's public surface: the libuv stream handle
 * (`_handle`) of an accepted connection, which a TlsSocket takes over so that bytes pass
 * through one JavaScript stream per connection, as under node:tls (whose TLSSocket takes the
 * same handle over from C++, `TLSSocket.prototype._wrapHandle`). net.Socket's constructor
 * accepts a `handle` (child_process and cluster hand sockets over that way), and its
 * documented `onread` option then reads into one buffer without a Buffer per read.
 */

/** What TlsSocket touches on a libuv stream handle (node's TCPWrap). */
export interface StreamHandle {
  /** node's http and http2 consume a socket's handle natively when this is true. */
  isStreamBase: boolean;
}

interface SocketInternals {
  _handle: StreamHandle | null;
}

/** The accepted socket's handle, or undefined for a socket that is not connected. */
export function streamHandleOf(socket: Socket): StreamHandle | undefined {
  return (socket as unknown as SocketInternals)._handle ?? undefined;
}

/**
 * Keeps node's http and http2 from reading this handle themselves: they consume a socket's
 * StreamBase handle natively (`parser.consume`, `Http2Session.consume`), which on ours would
 * mean parsing ciphertext. With the flag off they read the socket's plaintext events, as they
 * do for any Duplex.
 */
export function hideFromNativeConsumers(handle: StreamHandle): void {
  Object.defineProperty(handle, 'isStreamBase', { value: false, configurable: true, writable: true });
}

/**
 * The accepted socket gives its handle up: the TlsSocket has closed it. Destroying the
 * socket then emits its 'close' and settles its server's connection count (what
 * `server.close()` and `getConnections()` see) without closing the handle twice.
 */
export function releaseAcceptedSocket(socket: Socket, handle: StreamHandle | undefined): void {
  if (handle !== undefined && streamHandleOf(socket) === handle) forgetStreamHandle(socket);
  if (!socket.destroyed) socket.destroy();
}

/** The socket no longer has a handle of its own (its accepted socket closed it). */
export function forgetStreamHandle(socket: Socket): void {
  (socket as unknown as SocketInternals)._handle = null;
}
