/**
 * The servers the fuzzer attacks, built the same way every time: fixed keys and
 * certificates (fuzz/keys/), a fixed clock, fixed ticket keys, and a FuzzCrypto whose random
 * stream restarts for each connection. A world also holds sessions made by real handshakes
 * when it is built, put back into their caches before every connection (a fatal alert
 * removes a session, as RFC 5246 §7.2.2 says), so seeds that resume stay valid.
 */
import { ServerConnection, type ConnectionOptions } from '../../src/connection.js';
import { decodePem } from '../../src/codec/pem.js';
import { TlsContext } from '../../src/context.js';
import { MemorySessionCache } from '../../src/session/memory-cache.js';
import { Session } from '../../src/session/session.js';
import { TlsClient, seededRandom, type ClientOptions, type SavedSession } from '../helpers/tls-client.js';
import { fuzzKey } from './corpus.js';
import { FuzzCrypto } from './fast-crypto.js';

/** 2027-01-01: inside every fixed certificate's validity (they run to 2126). */
export const FUZZ_NOW = Date.UTC(2027, 0, 1);
const now = (): number => FUZZ_NOW;

export interface World {
  readonly name: string;
  readonly crypto: FuzzCrypto;
  /** The context a connection starts with. */
  readonly context: TlsContext;
  /** Sessions a client can resume, by name. */
  readonly saved: ReadonlyMap<string, SavedSession>;
  /** The random stream restarts and the primed sessions are back in their caches. */
  reset(): void;
  /** A connection to this world's server (call reset() first). */
  connect(options?: ConnectionOptions): ServerConnection;
}

function copySession(s: Session): Session {
  return new Session({ ...s, sessionId: s.sessionId.slice(), masterSecret: s.masterSecret.slice(), sidCtx: s.sidCtx.slice() });
}

/** The DER of a PEM file's CERTIFICATE block. */
function certificateDer(pem: string): Uint8Array {
  return decodePem(pem, ['CERTIFICATE']).der;
}

/** The client certificates of the client-auth world: a P-256 leaf under the root, a P-384 leaf under the intermediate. */
export const CLIENT_CHAINS = {
  p256: { chain: [certificateDer(fuzzKey('client-leaf.crt'))], key: fuzzKey('client-leaf.key') },
  p384: { chain: [certificateDer(fuzzKey('client-leaf-p384.crt')), certificateDer(fuzzKey('client-inter.crt'))], key: fuzzKey('client-leaf-p384.key') },
} as const;

/** Runs one client to the end against `world` (reset first); throws unless both sides complete. */
export function handshake(world: World, options: ClientOptions): { client: TlsClient; server: ServerConnection; sent: Uint8Array[] } {
  world.reset();
  const server = world.connect();
  const client = new TlsClient(options);
  const sent: Uint8Array[] = [client.start()];
  server.receive(sent[0]!);
  for (let i = 0; i < 20; i++) {
    const out = server.takeOutput();
    if (out) client.receive(out);
    const answer = client.takeOutput();
    if (answer) {
      sent.push(answer);
      server.receive(answer);
    }
    if (!out && !answer) break;
  }
  if (!client.handshakeComplete || !server.handshakeComplete) {
    throw new Error(`${world.name}: the handshake did not complete (${server.error?.message ?? client.fatalAlert ?? 'no error'})`);
  }
  return { client, server, sent };
}

interface Primed {
  context: TlsContext;
  session: Session;
}

function buildWorld(name: string, context: TlsContext, crypto: FuzzCrypto, primers: [string, ClientOptions][]): World {
  const primed: Primed[] = [];
  const saved = new Map<string, SavedSession>();
  const world: World = {
    name,
    crypto,
    context,
    saved,
    reset() {
      crypto.reset();
      for (const p of primed) p.context.sessionCache?.set(copySession(p.session));
    },
    connect(options = {}) {
      return new ServerConnection(context, options);
    },
  };
  for (const [label, options] of primers) {
    const { client, server } = handshake(world, options);
    primed.push({ context: server.context, session: copySession(server.session!) });
    saved.set(label, client.session!);
  }
  return world;
}

const cache = (): MemorySessionCache => new MemorySessionCache({ now, maxSize: 16 });

/** fuzz.example (P-256) with a virtual host vhost.example (P-384) under serverNames; tickets and a session cache on both. */
export function mainWorld(): World {
  const crypto = new FuzzCrypto('puretls fuzz world: main');
  const vhost = new TlsContext({
    key: fuzzKey('server-p384.key'),
    cert: fuzzKey('server-p384.crt'),
    crypto,
    now,
    alpnProtocols: ['http/1.1'],
    sessionCache: cache(),
    ticketKeys: new Uint8Array(48).fill(0x5b),
    sessionIdContext: 'fuzz vhost',
  });
  const main = new TlsContext({
    key: fuzzKey('server-p256.key'),
    cert: fuzzKey('server-p256.crt'),
    crypto,
    now,
    alpnProtocols: ['h2', 'http/1.1'],
    sessionCache: cache(),
    ticketKeys: new Uint8Array(48).fill(0x5a),
    sessionIdContext: 'fuzz main',
    serverNames: { 'vhost.example': vhost },
  });
  return buildWorld('main', main, crypto, [
    ['main', { rng: seededRandom('prime main'), serverName: 'fuzz.example', alpn: ['h2'], sessionTicket: new Uint8Array(0) }],
    ['main-no-ticket', { rng: seededRandom('prime main, id only'), serverName: 'fuzz.example' }],
    ['vhost', { rng: seededRandom('prime vhost'), serverName: 'vhost.example', sessionTicket: new Uint8Array(0), groups: [24, 29] }],
  ]);
}

/** Client certificates required and verified against the fuzz client root; tickets and a cache. */
export function authWorld(): World {
  const crypto = new FuzzCrypto('puretls fuzz world: client auth');
  const context = new TlsContext({
    key: fuzzKey('server-p256.key'),
    cert: fuzzKey('server-p256.crt'),
    crypto,
    now,
    sessionCache: cache(),
    ticketKeys: new Uint8Array(48).fill(0x5c),
    sessionIdContext: 'fuzz auth',
    requestCert: true,
    rejectUnauthorized: true,
    ca: fuzzKey('client-root.crt'),
  });
  return buildWorld('auth', context, crypto, [
    ['auth', { rng: seededRandom('prime auth'), clientCertificate: CLIENT_CHAINS.p256, sessionTicket: new Uint8Array(0) }],
  ]);
}
