/**
 * Shared by the puretls/redis tests: a fleet secret, an in-memory handshake that waits for
 * an asynchronous store (the sans-IO connection goes busy while Redis answers), and the
 * search for a secret's bytes in a Redis dump.
 */
import assert from 'node:assert/strict';
import type { Context } from 'mocha';
import { ServerConnection } from '../../src/connection.js';
import type { TlsContext } from '../../src/context.js';
import { drive } from '../helpers/in-memory.js';
import { requirePeer } from '../helpers/peers.js';
import { TlsClient, type ClientOptions } from '../helpers/tls-client.js';

/** A fleet secret for the tests (random per run, as a fleet's would be). */
export function testSecret(): Uint8Array {
  return new Uint8Array(Buffer.from(crypto.getRandomValues(new Uint8Array(32))));
}

/** redis-server (and redis-cli) must be there: skipped on a developer machine without them, a failure in CI. */
export function requireRedis(ctx: Context): void {
  requirePeer(ctx, 'redis-server', 'redis-server');
  requirePeer(ctx, 'redis-cli', 'redis-tools');
}

export interface InMemoryHandshake {
  client: TlsClient;
  server: ServerConnection;
}

/**
 * A whole handshake in memory against a context whose session cache answers later (`drive`
 * waits while a Redis lookup or write is in flight); both sides must complete it.
 */
export async function handshakeWithStore(context: TlsContext, options: ClientOptions = {}): Promise<InMemoryHandshake> {
  const client = new TlsClient(options);
  const server = new ServerConnection(context);
  await drive(client, server);
  assert.equal(server.error, undefined, `the server failed: ${server.error?.message}`);
  assert.ok(client.handshakeComplete && server.handshakeComplete, 'both sides completed the handshake');
  return { client, server };
}

/** Where `secret` shows up in any value, as raw bytes or as hex (either case) or base64 text, or in a value's base64 decoding. */
export function findSecret(values: ReadonlyMap<string, Buffer>, secret: Uint8Array): string[] {
  const needles = [
    Buffer.from(secret),
    Buffer.from(Buffer.from(secret).toString('hex')),
    Buffer.from(Buffer.from(secret).toString('hex').toUpperCase()),
    Buffer.from(Buffer.from(secret).toString('base64').slice(0, 40)),
  ];
  const found: string[] = [];
  for (const [key, value] of values) {
    const decoded = Buffer.from(value.toString('latin1'), 'base64');
    const keyBytes = Buffer.from(key, 'latin1');
    for (const haystack of [value, decoded, keyBytes]) {
      for (const needle of needles) if (haystack.includes(needle)) found.push(key);
    }
  }
  return found;
}

