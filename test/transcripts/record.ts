/**
 * Records the transcripts in test/testdata (run `npx tsc -p . && node dist/test/transcripts/record.js
 * [name ...]` after a change that alters what the server sends, and check the diff; with
 * names, only those are recorded again). The server's key and certificate are kept from the
 * transcripts already there, so a re-recording changes only what the change changed (and the
 * client's own randomness). Each scenario runs
 * real clients (openssl s_client, node:tls) against a server whose randomness is seeded and
 * whose clock is fixed, through the same TranscriptServerConnection the replay test uses,
 * and writes every byte both ways.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { createSelfSignedCertificate } from '../../src/pki/index.js';
import { clientCerts, disposeClientCerts } from '../helpers/client-certs.js';
import {
  TranscriptServerConnection,
  loadTranscript,
  saveTranscript,
  transcriptFiles,
  toHex,
  transcriptContext,
  type Transcript,
  type TranscriptConnection,
  type TranscriptServer,
} from '../helpers/transcripts.js';

interface Scenario {
  name: string;
  client: string;
  options: TranscriptServer['options'];
  /** Runs the clients against the port, one connection after another. */
  run(port: number, scratch: string): Promise<void>;
}

function sClient(port: number, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_2', ...args], { timeout: 20_000 }, (err) =>
      err && err.killed ? reject(err) : resolve(),
    );
    child.stdin?.end();
  });
}

function nodeClient(port: number, options: tls.ConnectionOptions): Promise<void> {
  return new Promise((resolve) => {
    const socket = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, maxVersion: 'TLSv1.2', ...options });
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.on('close', () => resolve());
    socket.on('end', () => socket.end());
  });
}

const SCENARIOS: Scenario[] = [
  {
    name: 'ECDHE-ECDSA-AES128-GCM-SHA256-X25519',
    client: 'openssl s_client -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256 -groups X25519:P-256',
    options: { tickets: false },
    run: (port) => sClient(port, ['-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256', '-groups', 'X25519:P-256']),
  },
  {
    name: 'ECDHE-ECDSA-AES256-GCM-SHA384-P384',
    client: 'openssl s_client -tls1_2 -cipher ECDHE-ECDSA-AES256-GCM-SHA384 -groups P-384:P-256 (server groups P-384)',
    options: { tickets: false, groups: 'P-384' },
    run: (port) => sClient(port, ['-cipher', 'ECDHE-ECDSA-AES256-GCM-SHA384', '-groups', 'P-384:P-256']),
  },
  {
    name: 'Refused-NoSharedGroup',
    client: 'openssl s_client -tls1_2 -groups X25519 (its supported_groups do not admit the P-256 certificate: handshake_failure)',
    options: { tickets: false },
    run: (port) => sClient(port, ['-groups', 'X25519']),
  },
  {
    name: 'ECDHE-ECDSA-CHACHA20-POLY1305-P256',
    client: 'openssl s_client -tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305 -groups P-256',
    options: { tickets: false },
    run: (port) => sClient(port, ['-cipher', 'ECDHE-ECDSA-CHACHA20-POLY1305', '-groups', 'P-256']),
  },
  {
    name: 'ALPN-SNI',
    client: 'openssl s_client -tls1_2 -servername transcript.example -alpn h2,http/1.1',
    options: { tickets: false, alpnProtocols: ['http/1.1', 'h2'] },
    run: (port) => sClient(port, ['-servername', 'transcript.example', '-alpn', 'h2,http/1.1']),
  },
  {
    name: 'Resume-SessionID',
    client: 'openssl s_client -tls1_2 -no_ticket -sess_out, then -sess_in (two connections)',
    options: { tickets: false, sessionIdContext: 'transcripts' },
    run: async (port, scratch) => {
      const file = join(scratch, 'id.pem');
      await sClient(port, ['-no_ticket', '-sess_out', file]);
      await sClient(port, ['-no_ticket', '-sess_in', file]);
    },
  },
  {
    name: 'Resume-Ticket',
    client: 'openssl s_client -tls1_2 -sess_out, then -sess_in (two connections)',
    options: { sessionIdContext: 'transcripts' },
    run: async (port, scratch) => {
      const file = join(scratch, 'ticket.pem');
      await sClient(port, ['-sess_out', file]);
      await sClient(port, ['-sess_in', file]);
    },
  },
  {
    name: 'ClientCert-P256',
    client: 'openssl s_client -tls1_2 -cert <P-256 leaf> -key <its key>',
    options: { tickets: false, requestCert: true, sessionIdContext: 'transcripts', ca: '' },
    run: (port) => sClient(port, ['-cert', clientCerts().p256.certFile, '-key', clientCerts().p256.keyFile]),
  },
  {
    name: 'NodeTls-Client',
    client: 'node:tls tls.connect({ maxVersion: "TLSv1.2", servername: "transcript.example", ALPNProtocols: ["http/1.1"] })',
    options: { tickets: false, alpnProtocols: ['http/1.1'] },
    run: (port) => nodeClient(port, { servername: 'transcript.example', ALPNProtocols: ['http/1.1'] }),
  },
];

async function record(scenario: Scenario, keyPem: string, certPem: string, scratch: string): Promise<Transcript> {
  const options = { ...scenario.options };
  if (options.ca === '') options.ca = clientCerts().root.pem;
  const server: TranscriptServer = { seed: `transcript ${scenario.name}`, now: Date.UTC(2026, 11, 5, 12), keyPem, certPem, options };
  const context = transcriptContext(server);
  const connections: TranscriptConnection[] = [];
  /** One per accepted socket, settled by its 'close' (when its connection is recorded). */
  const closed: Promise<void>[] = [];
  const listener = net.createServer((socket) => {
    const t = new TranscriptServerConnection(context);
    const clientChunks: string[] = [];
    socket.on('data', (chunk: Buffer) => {
      clientChunks.push(toHex(chunk));
      const out = t.receive(chunk);
      if (out.length > 0) socket.write(out);
      if (t.connection.error) socket.end();
    });
    socket.on('error', () => undefined);
    socket.on('end', () => socket.end());
    closed.push(
      new Promise<void>((resolve) =>
        socket.on('close', () => {
          connections.push({ clientChunks, serverBytes: toHex(t.serverBytes), outcome: t.outcome });
          resolve();
        }),
      ),
    );
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  await scenario.run((listener.address() as AddressInfo).port, scratch);
  // The clients have exited, so every connection was accepted; wait until each socket closed.
  await Promise.all(closed);
  await new Promise<void>((resolve) => listener.close(() => resolve()));
  return { name: scenario.name, client: scenario.client, server, connections };
}

async function main(): Promise<void> {
  const existing = transcriptFiles()[0];
  const { keyPem, certPem } = existing ? loadTranscript(existing).server : createSelfSignedCertificate({ curve: 'P-256' });
  const only = process.argv.slice(2);
  const unknown = only.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length > 0) throw new Error(`no such scenario: ${unknown.join(', ')} (there are ${SCENARIOS.map((s) => s.name).join(', ')})`);
  const scratch = mkdtempSync(join(tmpdir(), 'puretls-transcripts-'));
  try {
    for (const scenario of SCENARIOS.filter((s) => only.length === 0 || only.includes(s.name))) {
      const t = await record(scenario, keyPem, certPem, scratch);
      const file = saveTranscript(t);
      console.log(`${file}: ${t.connections.length} connection(s), ${t.connections.map((c) => JSON.stringify(c.outcome)).join(' ')}`);
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    disposeClientCerts();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
