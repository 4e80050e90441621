/**
 * Helpers for the session tests: sessions made by hand, contexts on a clock the test moves,
 * and handshakes on a fresh ServerConnection run by `drive` (in-memory.ts), which waits out
 * asynchronous steps (an async SNI callback or session cache).
 */
import { ServerConnection, type ConnectionOptions } from '../../src/connection.js';
import { TlsContext, type TlsContextOptions } from '../../src/context.js';
import { Session, type SessionFields } from '../../src/session/session.js';
import { testCertificate } from './fixtures.js';
import { drive } from './in-memory.js';
import { TlsClient, type ClientOptions, type SavedSession } from './tls-client.js';

export const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** 2023-11-14T22:13:20Z, in seconds: an arbitrary fixed "now" for sessions made by hand. */
export const T0 = 1_700_000_000;

/** A valid TLS 1.2 EMS session made under sid_ctx "app" for example.com, created at T0. */
export function makeSession(changes: Partial<SessionFields> = {}): Session {
  return new Session({
    version: 0x0303,
    cipherSuite: 0xc02b,
    sessionId: Uint8Array.from({ length: 32 }, (_, i) => i + 1),
    masterSecret: Uint8Array.from({ length: 48 }, (_, i) => (i * 5 + 1) & 0xff),
    sidCtx: utf8('app'),
    createdAt: T0,
    timeout: 300,
    extendedMasterSecret: true,
    serverName: 'example.com',
    ...changes,
  });
}

/** A clock in milliseconds that the test moves by hand. */
export class Clock {
  constructor(public ms = T0 * 1000) {}
  readonly now = (): number => this.ms;
  advanceSeconds(s: number): void {
    this.ms += s * 1000;
  }
}

/** A context with the P-256 test certificate on a clock (by default a new one at T0). */
export function clockedContext(options: TlsContextOptions = {}, clock?: Clock): TlsContext {
  const cert = testCertificate();
  return new TlsContext({
    key: cert.keyPem,
    cert: cert.certPem,
    now: (clock ?? new Clock()).now,
    ...options,
  });
}

export interface HandshakeResult {
  client: TlsClient;
  conn: ServerConnection;
  /** The client's view of the session, to resume later (undefined if the handshake failed). */
  saved: SavedSession | undefined;
}

/** A fresh connection on `context` and a handshake with a client built from `clientOptions`. */
export async function handshake(
  context: TlsContext,
  clientOptions: ClientOptions = {},
  connectionOptions: ConnectionOptions = {},
): Promise<HandshakeResult> {
  const conn = new ServerConnection(context, connectionOptions);
  const client = new TlsClient(clientOptions);
  await drive(client, conn);
  return { client, conn, saved: client.session };
}

/** A handshake that must complete; returns what it made. */
export async function completeHandshake(
  context: TlsContext,
  clientOptions: ClientOptions = {},
  connectionOptions: ConnectionOptions = {},
): Promise<HandshakeResult & { saved: SavedSession }> {
  const r = await handshake(context, clientOptions, connectionOptions);
  if (!r.conn.handshakeComplete || !r.client.handshakeComplete || !r.saved) {
    const alerts = r.client.alerts.map((a) => `${a.level}/${a.description}`).join(',');
    throw new Error(`handshake did not complete: server error ${r.conn.error?.code ?? 'none'} ${r.conn.error?.message ?? ''}; alerts ${alerts || 'none'}`);
  }
  return r as HandshakeResult & { saved: SavedSession };
}

/** The counters as a plain object (OpenSSL's SSL_CTX_sess_* plus contextMismatches). */
export function counters(context: TlsContext): Record<string, number> {
  return context.stats.toJSON();
}
