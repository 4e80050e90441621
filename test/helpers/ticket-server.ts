/**
 * A puretls server for the ticket tests that records, for every connection that finished
 * its handshake, how it was resumed (or not) and whether a ticket went out, and every
 * error a client caused. Everything started here is tracked so one `closeAll()` in an
 * afterEach tears it down.
 */
import type { NegotiatedParameters } from '../../src/handshake/server.js';
import type { ServerOptions } from '../../src/node/options.js';
import type { TlsSocket } from '../../src/node/socket.js';
import { startServer, type RunningServer } from './fixtures.js';

export interface HandshakeRecord {
  resumed: boolean;
  resumedBy: NegotiatedParameters['resumedBy'];
  /** The socket's isSessionReused() while it was open (a destroyed socket's TLS getters answer as before a handshake). */
  socketReused: boolean;
  ticketIssued: boolean;
  /** The server-side session (its session ID is the one the cache knows it by). */
  sessionId: Uint8Array;
  socket: TlsSocket;
}

export interface TicketServer {
  running: RunningServer;
  port: number;
  handshakes: HandshakeRecord[];
  /** `tlsClientError` events: a tampered ticket must never cause one. */
  clientErrors: Error[];
  /** Resolves once `n` handshakes have completed on this server. */
  waitForHandshakes(n: number): Promise<HandshakeRecord[]>;
  close(): Promise<void>;
}

const running = new Set<TicketServer>();

export async function startTicketServer(options: ServerOptions = {}): Promise<TicketServer> {
  const handshakes: HandshakeRecord[] = [];
  const clientErrors: Error[] = [];
  let waiters: Array<() => void> = [];
  const wake = (): void => {
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  };
  const server = await startServer(options, (socket) => {
    const n = socket.connection.negotiated!;
    handshakes.push({
      resumed: n.resumed,
      resumedBy: n.resumedBy,
      socketReused: socket.isSessionReused(),
      ticketIssued: n.ticketIssued,
      sessionId: n.session.sessionId.slice(),
      socket,
    });
    socket.on('error', () => undefined);
    // Echo, so a client can check the connection really carries data.
    socket.on('data', (d: Buffer) => socket.write(d));
    socket.on('end', () => socket.end());
    wake();
  });
  server.server.on('tlsClientError', (err: Error) => {
    clientErrors.push(err);
    wake();
  });
  let closed = false;
  const ticketServer: TicketServer = {
    running: server,
    port: server.port,
    handshakes,
    clientErrors,
    async waitForHandshakes(n: number): Promise<HandshakeRecord[]> {
      while (handshakes.length < n) {
        if (clientErrors.length > 0) throw new Error(`client error while waiting for ${n} handshakes: ${clientErrors[0]!.message}`);
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
      return handshakes;
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      running.delete(ticketServer);
      wake();
      await server.close();
    },
  };
  running.add(ticketServer);
  return ticketServer;
}

/** Closes every server started by startTicketServer that is still open. */
export async function closeAllTicketServers(): Promise<void> {
  await Promise.all([...running].map((s) => s.close()));
}
