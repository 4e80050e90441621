/**
 * One process of a test fleet, forked by test/redis/fleet.ts: a puretls server (createServer
 * with a RedisSessionStore and RedisTicketKeys) or a node:tls server wired to the same store
 * with `attach`, on a free loopback port. It reports over IPC what it counted.
 *
 *   parent --start(config)--> child --listening(port)-->
 *          --stats-->               --stats(handshakes, context, store, tickets, log)-->
 *          --exit-->                (closes the store and keys, exits 0)
 */
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { createServer } from '../../src/node/server.js';
import { RedisSessionStore, RedisTicketKeys, type RedisSessionStoreOptions, type RedisTicketKeysOptions } from '../../src/redis/index.js';
import type { NodeRedisLike } from '../../src/redis/client.js';
import { connectCluster } from '../helpers/redis.js';
import type { FleetServerConfig, FleetStats, FromFleetServer, ToFleetServer } from './fleet.js';

function send(message: FromFleetServer): void {
  process.send!(message);
}

const handshakes = { full: 0, sessionId: 0, ticket: 0, errors: 0 };
const log: string[] = [];
let store: RedisSessionStore | undefined;
let keys: RedisTicketKeys | undefined;
let contextStats: (() => Record<string, number>) | undefined;
let currentTicketKey: (() => string) | undefined;
let closeCluster: (() => Promise<void>) | undefined;

async function start(config: FleetServerConfig): Promise<number> {
  const secret = new Uint8Array(Buffer.from(config.secretHex, 'hex'));
  let connection: { url: string } | { client: NodeRedisLike };
  if ('cluster' in config.redis) {
    const cluster = await connectCluster(config.redis.cluster);
    closeCluster = async () => cluster.destroy();
    connection = { client: cluster as unknown as NodeRedisLike };
  } else {
    connection = { url: config.redis.url };
  }
  const storeOptions: RedisSessionStoreOptions = { ...connection, secret, log: (m) => log.push(m), ...config.store };
  store = new RedisSessionStore(storeOptions);
  await store.connected;

  if (config.kind === 'node') {
    const server = tls.createServer(
      { key: config.keyPem, cert: config.certPem, sessionIdContext: config.sessionIdContext, maxVersion: 'TLSv1.2', sessionTimeout: config.sessionTimeout ?? 300 },
      (socket) => {
        if (socket.isSessionReused()) handshakes.sessionId++;
        else handshakes.full++;
        socket.on('error', () => undefined);
        socket.end('hi\n');
      },
    );
    server.on('tlsClientError', () => handshakes.errors++);
    store.attach(server, { sessionIdContext: config.sessionIdContext });
    return listen(server);
  }

  if (config.tickets) {
    const ticketOptions: RedisTicketKeysOptions = { ...connection, secret, log: (m) => log.push(m), ...config.tickets };
    keys = new RedisTicketKeys(ticketOptions);
    await keys.ready;
  }
  const server = createServer(
    {
      key: config.keyPem,
      cert: config.certPem,
      sessionIdContext: config.sessionIdContext,
      sessionTimeout: config.sessionTimeout ?? 300,
      sessionCache: store,
      ...(keys ? { ticketKeys: keys } : {}),
    },
    (socket) => {
      const by = socket.connection.negotiated?.resumedBy;
      if (by === 'ticket') handshakes.ticket++;
      else if (by === 'session-id') handshakes.sessionId++;
      else handshakes.full++;
      socket.on('error', () => undefined);
      socket.end('hi\n');
    },
  );
  server.on('tlsClientError', () => handshakes.errors++);
  contextStats = () => server.context.stats.toJSON();
  currentTicketKey = () => Buffer.from(server.getTicketKeys()).toString('hex');
  return listen(server);
}

function listen(server: tls.Server | ReturnType<typeof createServer>): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function stats(): FleetStats {
  const s = store!.storeStats;
  return {
    handshakes: { ...handshakes },
    context: contextStats?.(),
    store: { hits: s.hits, misses: s.misses, rejected: s.rejected, timeouts: s.timeouts, errors: s.errors, shortCircuited: s.shortCircuited, writeFailures: s.writeFailures, breaker: s.breaker },
    attached: { ...store!.attachedStats },
    tickets: keys?.stats,
    currentTicketKey: currentTicketKey?.(),
    log: [...log],
  };
}

process.on('message', (message: ToFleetServer) => {
  void handle(message).catch((e: unknown) => send({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }));
});

async function handle(message: ToFleetServer): Promise<void> {
  switch (message.type) {
    case 'start':
      send({ type: 'listening', port: await start(message.config) });
      return;
    case 'stats':
      send({ type: 'stats', stats: stats() });
      return;
    case 'exit':
      await keys?.close();
      await store?.close();
      await closeCluster?.();
      process.exit(0);
  }
}

process.on('disconnect', () => process.exit(0));
send({ type: 'ready' });
