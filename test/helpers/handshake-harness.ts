import assert from 'node:assert/strict';
import { ServerConnection } from '../../src/connection.js';
import { TlsContext, type TlsContextOptions } from '../../src/context.js';
import { testCertificate } from './fixtures.js';
import { TlsClient, hex, type ClientOptions } from './tls-client.js';
import { handshakeInMemory } from './in-memory.js';

export type Curve = 'P-256' | 'P-384';

const contexts = new Map<string, TlsContext>();

/** A context with the test certificate of `curve`; plain ones are shared between tests. */
export function makeContext(options: TlsContextOptions & { curve?: Curve } = {}): TlsContext {
  const { curve = 'P-256', ...rest } = options;
  const cert = testCertificate(curve);
  const plain = Object.keys(rest).length === 0;
  if (plain && contexts.has(curve)) return contexts.get(curve)!;
  const context = new TlsContext({ key: cert.keyPem, cert: cert.certPem, ...rest });
  if (plain) contexts.set(curve, context);
  return context;
}

export interface Pair {
  client: TlsClient;
  server: ServerConnection;
}

/** Client against a fresh ServerConnection, run until neither has anything to say. */
export function connect(context: TlsContext, options: ClientOptions = {}): Pair {
  const client = new TlsClient(options);
  const server = new ServerConnection(context);
  handshakeInMemory(client, server);
  return { client, server };
}

/** connect(), and both sides must have completed. */
export function connectOk(context: TlsContext, options: ClientOptions = {}): Pair {
  const pair = connect(context, options);
  assert.equal(pair.server.error, undefined, `server error: ${pair.server.error?.message}`);
  assert.ok(pair.server.handshakeComplete, 'server handshake complete');
  assert.ok(pair.client.handshakeComplete, `client handshake complete (phase ${pair.client.phase})`);
  return pair;
}

/** The bytes of a fatal alert record in clear: 15 03 03 00 02 02 <description>. */
export function plainAlert(description: number, level = 2): string {
  return hex(Uint8Array.of(21, 3, 3, 0, 2, level, description));
}

/**
 * Sends a ClientHello with these options and checks that the server answers with exactly
 * one fatal alert record, in clear, and closes.
 */
export function expectHelloRefused(context: TlsContext, options: ClientOptions, alert: number, code?: string): ServerConnection {
  const client = new TlsClient(options);
  const server = new ServerConnection(context);
  server.receive(client.start());
  const out = server.takeOutput();
  assert.ok(out, 'the server sent nothing');
  assert.equal(hex(out), plainAlert(alert), `server error: ${server.error?.message}`);
  assert.equal(server.error?.alert, alert);
  if (code) assert.equal(server.error?.reason, code);
  assert.ok(server.closed);
  assert.equal(server.handshakeComplete, false);
  return server;
}

/** Application data both ways over an established pair. */
export function exchangeData(pair: Pair, size = 100): void {
  const { client, server } = pair;
  const up = Uint8Array.from({ length: size }, (_, i) => (i * 31) & 0xff);
  server.receive(client.write(up));
  assert.equal(hex(Buffer.concat(server.takePlaintext())), hex(up));
  const down = up.map((b) => b ^ 0xff);
  server.write(down);
  client.receive(server.takeOutput()!);
  assert.equal(hex(client.takePlaintext()), hex(down));
}
