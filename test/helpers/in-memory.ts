/**
 * The one in-memory driver: a TlsClient against anything with receive/takeOutput (a
 * ServerConnection), moving bytes both ways until neither side has anything more to say.
 * `handshakeInMemory` runs it for servers that answer at once; `drive` runs the same steps
 * and also waits while the server waits on the application (an SNI callback, a session
 * store: `busy`, then `onWake`).
 */
import type { ServerConnection } from '../../src/connection.js';
import type { TlsClient } from './tls-client.js';

export interface SansIoPeer {
  receive(data: Uint8Array): void;
  takeOutput(): Uint8Array | undefined;
  /** Waiting on the application (ServerConnection.busy); a peer without it never waits. */
  readonly busy?: boolean;
  readonly error?: unknown;
  onWake?: (() => void) | undefined;
}

const MAX_STEPS = 200;

/** One exchange: what the server has for the client, then what the client has for the server. False when neither said anything. */
function step(client: TlsClient, server: SansIoPeer): boolean {
  const fromServer = server.takeOutput();
  if (fromServer) client.receive(fromServer);
  const fromClient = client.takeOutput();
  if (fromClient) server.receive(fromClient);
  return fromServer !== undefined || fromClient !== undefined;
}

/** A server that failed waits for nothing, whatever it says. */
const waiting = (server: SansIoPeer): boolean => server.busy === true && !server.error;

/** Moves bytes both ways until neither side has anything more to say (the server must not wait). */
export function pump(client: TlsClient, server: SansIoPeer): void {
  for (let guard = 0; guard < MAX_STEPS; guard++) {
    if (waiting(server)) throw new Error('pump: the server waits on the application; use drive()');
    if (!step(client, server)) return;
  }
  throw new Error('pump: the peers kept talking');
}

/** A whole handshake in memory, with a server that answers at once. */
export function handshakeInMemory(client: TlsClient, server: SansIoPeer): void {
  server.receive(client.start());
  pump(client, server);
}

/**
 * A whole handshake in memory, waiting for the server's asynchronous steps. Resolves once
 * neither side has anything more to say; it does not throw when the handshake fails — look
 * at the server's `error` and the client's alerts.
 */
export async function drive(client: TlsClient, server: ServerConnection | SansIoPeer): Promise<void> {
  server.receive(client.start());
  for (let guard = 0; guard < MAX_STEPS; guard++) {
    if (waiting(server)) {
      await new Promise<void>((resolve) => {
        server.onWake = () => {
          server.onWake = undefined;
          resolve();
        };
      });
      continue;
    }
    if (!step(client, server) && !waiting(server)) return;
  }
  throw new Error('drive: the peers kept talking');
}
