/**
 * node:tls on both sides of the parity tests: a TLS 1.2 client that reports what it saw, and a
 * node:tls server started like `startServer` starts a puretls one.
 */
import tls from 'node:tls';
import { listenOnLoopback } from './fixtures.js';

export interface NodeClientOptions {
  servername?: string;
  /** The client certificate chain and key (PEM). */
  cert?: { key: string; cert: string };
  /** A session from an earlier connection (node's `session` bytes). */
  session?: Buffer;
  ALPNProtocols?: string[];
}

export interface NodeClientResult {
  /** The server's first application data arrived: its secureConnection listener ran and wrote. */
  ok: boolean;
  /** The first error the client saw, if any. */
  error: string | undefined;
  /** The session to resume with (the last one node offered, or getSession()). */
  session: Buffer | undefined;
  reused: boolean;
  alpnProtocol: string | false | null;
  /** The server certificate's SHA-256 fingerprint: which (virtual) host answered. */
  serverFingerprint256: string | undefined;
}

/** A node:tls client (TLS 1.2 only); waits for the server's first data, or for the end. */
export async function connectNodeTls(port: number, options: NodeClientOptions = {}): Promise<NodeClientResult> {
  const socket = tls.connect({
    port,
    host: '127.0.0.1',
    rejectUnauthorized: false,
    maxVersion: 'TLSv1.2',
    ...(options.servername !== undefined ? { servername: options.servername } : {}),
    ...(options.cert ?? {}),
    ...(options.session ? { session: options.session } : {}),
    ...(options.ALPNProtocols ? { ALPNProtocols: options.ALPNProtocols } : {}),
  });
  let error: string | undefined;
  let session: Buffer | undefined;
  let reused = false;
  let alpnProtocol: string | false | null = null;
  let serverFingerprint256: string | undefined;
  socket.on('error', (e) => {
    error ??= e.message;
  });
  socket.on('secureConnect', () => {
    reused = socket.isSessionReused();
    alpnProtocol = socket.alpnProtocol;
    serverFingerprint256 = socket.getPeerCertificate().fingerprint256;
  });
  socket.on('session', (s: Buffer) => {
    session = s;
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const ok = await Promise.race([new Promise<boolean>((resolve) => socket.once('data', () => resolve(true))), closed.then(() => false)]);
  session ??= socket.getSession();
  socket.destroy();
  await closed;
  return { ok, error, session, reused, alpnProtocol, serverFingerprint256 };
}

export interface RunningNodeServer {
  server: tls.Server;
  port: number;
  close(): Promise<void>;
}

/** A node:tls server on an ephemeral loopback port; `close` also destroys open connections. */
export async function startNodeTlsServer(
  options: tls.TlsOptions,
  listener?: (socket: tls.TLSSocket) => void,
): Promise<RunningNodeServer> {
  const server = tls.createServer(options, listener);
  return { server, ...(await listenOnLoopback(server)) };
}
