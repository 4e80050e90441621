import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { createSelfSignedCertificate } from '../../src/pki/index.js';
import type { EcCurveName } from '../../src/pki/index.js';
import { createServer, type SecureConnectionListener, type Server } from '../../src/node/server.js';
import type { ServerOptions } from '../../src/node/options.js';

export interface TestCertificate {
  keyPem: string;
  certPem: string;
}

const certificates = new Map<EcCurveName, TestCertificate>();

/** A self-signed certificate for localhost / 127.0.0.1 / ::1, made once per curve per run. */
export function testCertificate(curve: EcCurveName = 'P-256'): TestCertificate {
  let cert = certificates.get(curve);
  if (!cert) {
    const made = createSelfSignedCertificate({ curve });
    cert = { keyPem: made.keyPem, certPem: made.certPem };
    certificates.set(curve, cert);
  }
  return cert;
}

export interface RunningServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts a puretls server on an ephemeral loopback port. Key and cert default to the
 * P-256 test certificate (unless a ready `context` brings its own); `close` also destroys
 * connections still open.
 */
export async function startServer(options: ServerOptions = {}, listener?: SecureConnectionListener): Promise<RunningServer> {
  const cert = testCertificate();
  const defaults = options.context ? {} : { key: cert.keyPem, cert: cert.certPem };
  const server = createServer({ ...defaults, ...options }, listener);
  return { server, ...(await listenOnLoopback(server)) };
}

/**
 * Listens on an ephemeral loopback port and keeps track of the connections, so that
 * `close` can destroy those still open before closing the server (any net.Server: puretls's,
 * node:tls's).
 */
export async function listenOnLoopback(server: NetServer): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
