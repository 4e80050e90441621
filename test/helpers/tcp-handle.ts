/**
 * The libuv TCP handle under a net.Socket (a TlsSocket's, or the accepted socket's while they
 * share it): internal state that tests look at, not behaviour they rely on.
 */
import type { Socket } from 'node:net';

interface TcpHandleState {
  reading?: boolean;
  writeQueueSize?: number;
}

const handleOf = (s: Socket): TcpHandleState | undefined => (s as unknown as { _handle?: TcpHandleState })._handle;

/** Whether libuv is reading from the kernel for this connection (the handle's `reading`). */
export const tcpReading = (s: Socket): boolean => handleOf(s)?.reading === true;

/** Bytes libuv holds because the kernel's send buffer is full (the handle's `writeQueueSize`). */
export const tcpQueued = (s: Socket): number => handleOf(s)?.writeQueueSize ?? 0;
