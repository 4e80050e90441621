/**
 * Every way a handshake can reach a virtual host of a server that requires client
 * certificates (docs/SPEC-sid-ctx.md, "What else a connection keeps across the context
 * switch"): a client without a certificate never gets application data through and the
 * server reports node:tls's error code; a client with a valid certificate gets in and then
 * resumes. Each case runs against a puretls server and, where node:tls can express it, a
 * node:tls server set up the same way, and the two outcomes are compared.
 */
import assert from 'node:assert/strict';
import { once, type EventEmitter } from 'node:events';
import { X509Certificate, randomBytes } from 'node:crypto';
import tls from 'node:tls';
import { afterEach, describe, it } from 'mocha';
import { TlsContext } from '../../src/context.js';
import type { ServerOptions } from '../../src/node/options.js';
import { SSL_OP_NO_TICKET } from '../../src/node/options.js';
import type { TlsSocket } from '../../src/node/socket.js';
import { clientCerts } from '../helpers/client-certs.js';
import { startServer, testCertificate } from '../helpers/fixtures.js';
import { connectNodeTls, startNodeTlsServer, type NodeClientResult } from '../helpers/node-tls.js';

type Kind = 'puretls' | 'node:tls';
type HostContext = TlsContext | tls.SecureContext;
const KINDS: readonly Kind[] = ['puretls', 'node:tls'];

const NO_CERTIFICATE = 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE';
const CLIENT_ALPN = ['http/1.1'];
const SERVER_ALPN = ['h2', 'http/1.1'];

/** The default host has the P-256 test certificate; virtual hosts have the P-384 one. */
const defaultCert = (): { key: string; cert: string } => ({ key: testCertificate('P-256').keyPem, cert: testCertificate('P-256').certPem });
const hostCert = (): { key: string; cert: string } => ({ key: testCertificate('P-384').keyPem, cert: testCertificate('P-384').certPem });
const fingerprint = (pem: string): string => new X509Certificate(pem).fingerprint256;

/** A virtual host's context as each stack builds one: key, certificate and the client CA. */
function readyContext(kind: Kind, extra: { requestCert?: boolean; sessionIdContext?: string } = {}): HostContext {
  const options = { ...hostCert(), ca: clientCerts().root.pem };
  return kind === 'puretls' ? new TlsContext({ ...options, ...extra }) : tls.createSecureContext(options);
}

interface Served {
  port: number;
  /** What each secureConnection listener saw. */
  seen: Array<{ authorized: boolean; reused: boolean; alpn: string | false }>;
  /** Codes of the handshake errors the server reported (tlsClientError). */
  errors: string[];
  /** `errors` once the server has reported `n` handshake errors (bounded by mocha's timeout). */
  errorsAfter(n: number): Promise<string[]>;
  addContext(hostname: string, context: HostContext | Record<string, unknown>): void;
  on(event: string, listener: (...args: never[]) => void): void;
}

const cleanups: Array<() => Promise<void>> = [];
/** A server of either kind: the default host's certificate plus `options`. */
async function serve(kind: Kind, options: Record<string, unknown>): Promise<Served> {
  const seen: Served['seen'] = [];
  const errors: string[] = [];
  const onSecure = (socket: TlsSocket | tls.TLSSocket): void => {
    seen.push({ authorized: socket.authorized, reused: socket.isSessionReused(), alpn: socket.alpnProtocol ?? false });
    socket.on('error', () => undefined);
    socket.write('application data');
  };
  const base = { ...defaultCert(), ...options };
  const running =
    kind === 'puretls'
      ? await startServer(base as ServerOptions, onSecure)
      : await startNodeTlsServer({ ...base, maxVersion: 'TLSv1.2' } as tls.TlsOptions, onSecure);
  cleanups.push(() => running.close());
  const server = running.server as unknown as {
    on(event: string, listener: (...args: never[]) => void): void;
    addContext(hostname: string, context: unknown): void;
  };
  server.on('tlsClientError', (e: Error & { code?: string }) => errors.push(e.code ?? e.message));
  return {
    port: running.port,
    seen,
    errors,
    errorsAfter: async (n) => {
      while (errors.length < n) await once(running.server as unknown as EventEmitter, 'tlsClientError');
      return errors;
    },
    addContext: (hostname, context) => server.addContext(hostname, context),
    on: (event, listener) => server.on(event, listener),
  };
}

const withCert = (): { key: string; cert: string } => ({ key: clientCerts().p256.keyPem, cert: clientCerts().p256.chainPem });

interface Outcome {
  /** Application data reached the client. */
  dataThrough: boolean;
  reused: boolean;
  alpn: string | false | null;
  /** Which host's certificate the client saw: 'default' or 'vhost'. */
  servedBy: string | undefined;
}

function outcome(r: NodeClientResult): Outcome {
  const servedBy =
    r.serverFingerprint256 === undefined
      ? undefined
      : r.serverFingerprint256 === fingerprint(hostCert().cert)
        ? 'vhost'
        : r.serverFingerprint256 === fingerprint(defaultCert().cert)
          ? 'default'
          : 'unknown';
  return { dataThrough: r.ok, reused: r.reused, alpn: r.ok ? r.alpnProtocol : null, servedBy: r.ok ? servedBy : undefined };
}

/** One way to reach a virtual host (or the default one) on a server that requires certificates. */
interface Route {
  name: string;
  /** The SNI the client sends (none when undefined). */
  servername: string | undefined;
  /** Which host must answer. */
  servedBy: 'default' | 'vhost';
  /** Server options beyond the default host's certificate and the client-auth policy. */
  options?: (kind: Kind) => Record<string, unknown>;
  /** What to add after the server is made. */
  setup?: (kind: Kind, server: Served) => void;
}

const sniCallback = (kind: Kind, answer: 'sync' | 'async' | 'nothing') => {
  const context = readyContext(kind);
  return (servername: string, cb: (err: Error | null, ctx?: HostContext) => void): void => {
    const chosen = answer !== 'nothing' && servername === 'a.test' ? context : undefined;
    if (answer === 'async') setTimeout(() => cb(null, chosen), 5);
    else cb(null, chosen);
  };
};

const ROUTES: readonly Route[] = [
  { name: 'no SNI: the default host', servername: undefined, servedBy: 'default' },
  {
    name: 'SNI naming the default host (no virtual host matches)',
    servername: 'localhost',
    servedBy: 'default',
    setup: (kind, s) => s.addContext('a.test', readyContext(kind)),
  },
  {
    name: 'addContext with options { key, cert, ca }',
    servername: 'a.test',
    servedBy: 'vhost',
    setup: (_kind, s) => s.addContext('a.test', { ...hostCert(), ca: clientCerts().root.pem }),
  },
  {
    name: 'addContext with options that repeat requestCert (the host inherits the server\'s sid_ctx)',
    servername: 'a.test',
    servedBy: 'vhost',
    setup: (_kind, s) => s.addContext('a.test', { ...hostCert(), ca: clientCerts().root.pem, requestCert: true }),
  },
  {
    name: 'addContext with a ready context',
    servername: 'a.test',
    servedBy: 'vhost',
    setup: (kind, s) => s.addContext('a.test', readyContext(kind)),
  },
  {
    name: 'addContext with a wildcard name',
    servername: 'w.a.test',
    servedBy: 'vhost',
    setup: (kind, s) => s.addContext('*.a.test', readyContext(kind)),
  },
  {
    name: 'SNICallback answering synchronously',
    servername: 'a.test',
    servedBy: 'vhost',
    options: (kind) => ({ SNICallback: sniCallback(kind, 'sync') }),
  },
  {
    name: 'SNICallback answering asynchronously',
    servername: 'a.test',
    servedBy: 'vhost',
    options: (kind) => ({ SNICallback: sniCallback(kind, 'async') }),
  },
  {
    name: 'SNICallback answering nothing: the default host',
    servername: 'a.test',
    servedBy: 'default',
    options: (kind) => ({ SNICallback: sniCallback(kind, 'nothing') }),
  },
  {
    name: 'SNICallback takes precedence over addContext',
    servername: 'a.test',
    servedBy: 'vhost',
    options: (kind) => ({ SNICallback: sniCallback(kind, 'async') }),
    // An open, CA-less host under the same name: never consulted while SNICallback is set.
    setup: (_kind, s) => s.addContext('a.test', { ...defaultCert() }),
  },
  {
    name: 'an unknown SNI: the default host',
    servername: 'unknown.test',
    servedBy: 'default',
    setup: (kind, s) => s.addContext('a.test', readyContext(kind)),
  },
];

describe('node: virtual hosts never loosen client-certificate checks (every path, compared with node:tls)', function () {
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  this.timeout(60_000);

  describe('a server with requestCert (rejectUnauthorized by default): each way to a host', () => {
    for (const route of ROUTES) {
      for (const sidCtx of ['an explicit sessionIdContext', 'the default sessionIdContext'] as const) {
        it(`${route.name}, ${sidCtx}`, async () => {
          const results = {} as Record<Kind, { without: Outcome; withCert: Outcome; resumed: Outcome; errors: string[]; seen: Served['seen'] }>;
          for (const kind of KINDS) {
            const server = await serve(kind, {
              ca: clientCerts().root.pem,
              requestCert: true,
              ALPNProtocols: SERVER_ALPN,
              ...(sidCtx === 'an explicit sessionIdContext' ? { sessionIdContext: 'vhost-auth' } : {}),
              ...route.options?.(kind),
            });
            route.setup?.(kind, server);
            const client = { ALPNProtocols: CLIENT_ALPN, ...(route.servername ? { servername: route.servername } : {}) };
            const without = await connectNodeTls(server.port, client);
            const errorsWithout = [...(await server.errorsAfter(1))];
            const first = await connectNodeTls(server.port, { ...client, cert: withCert() });
            assert.ok(first.session, `${kind}: a session to resume`);
            const again = await connectNodeTls(server.port, { ...client, cert: withCert(), session: first.session });
            results[kind] = { without: outcome(without), withCert: outcome(first), resumed: outcome(again), errors: errorsWithout, seen: server.seen };
          }
          const ours = results.puretls;
          // Without a certificate: nothing gets through, and the reason is node:tls's code.
          assert.equal(ours.without.dataThrough, false, 'a client without a certificate got application data');
          assert.deepEqual(ours.errors, [NO_CERTIFICATE]);
          // With one: the right host answers, with the server's ALPN, and the session resumes.
          assert.deepEqual(ours.withCert, { dataThrough: true, reused: false, alpn: 'http/1.1', servedBy: route.servedBy });
          // (A resumed client has no server certificate to look at.)
          assert.deepEqual(ours.resumed, { dataThrough: true, reused: true, alpn: 'http/1.1', servedBy: undefined });
          assert.deepEqual(ours.seen, [
            { authorized: true, reused: false, alpn: 'http/1.1' },
            { authorized: true, reused: true, alpn: 'http/1.1' },
          ]);
          // The same as node:tls, in every respect the client and the server can see.
          assert.deepEqual(ours.without, results['node:tls'].without);
          assert.deepEqual(ours.errors, results['node:tls'].errors);
          assert.deepEqual(ours.withCert, results['node:tls'].withCert);
          assert.deepEqual(ours.resumed, results['node:tls'].resumed);
          assert.deepEqual(ours.seen, results['node:tls'].seen);
        });
      }
    }
  });

  describe('a session made where certificates were not required is never resumed where they are (rule 8)', () => {
    /**
     * Sibling hosts of one puretls server: 'open.test' lets clients in without a certificate,
     * 'strict.test' asks for one (a host may be stricter than its server). node:tls cannot
     * give one host a stricter policy than its server, so these run on puretls only.
     */
    for (const via of ['session ID', 'ticket'] as const) {
      for (const sid of ['the server\'s sid_ctx', 'its own sid_ctx'] as const) {
        it(`a sibling host's session, offered by ${via}, to a host with ${sid}`, async () => {
          const server = await serve('puretls', {
            sessionIdContext: 'siblings',
            ...(via === 'session ID' ? { tickets: false } : {}),
          });
          server.addContext('open.test', { ...hostCert() });
          server.addContext('strict.test', {
            ...hostCert(),
            ca: clientCerts().root.pem,
            requestCert: true,
            ...(sid === 'its own sid_ctx' ? { sessionIdContext: 'strict' } : {}),
          });
          const open = await connectNodeTls(server.port, { servername: 'open.test' });
          assert.ok(open.ok && open.session, 'the open host lets a client in without a certificate');
          const without = await connectNodeTls(server.port, { servername: 'strict.test', session: open.session });
          assert.deepEqual(outcome(without), { dataThrough: false, reused: false, alpn: null, servedBy: undefined });
          assert.deepEqual(await server.errorsAfter(1), [NO_CERTIFICATE]);
          const withOne = await connectNodeTls(server.port, { servername: 'strict.test', session: open.session, cert: withCert() });
          assert.deepEqual(outcome(withOne), { dataThrough: true, reused: false, alpn: false, servedBy: 'vhost' }, 'a full handshake');
          const again = await connectNodeTls(server.port, { servername: 'strict.test', session: withOne.session!, cert: withCert() });
          assert.equal(again.reused, true, 'its own session resumes');
          assert.deepEqual(server.seen.map((s) => [s.authorized, s.reused]), [[false, false], [true, false], [true, true]]);
        });
      }
    }

    /**
     * Sibling servers: A lets clients in without a certificate, B requires one; both serve
     * 'a.test' as a virtual host and share ticket keys, or a newSession/resumeSession store.
     */
    for (const via of ['ticket (same ticket keys)', 'a shared newSession/resumeSession store'] as const) {
      for (const sameSid of [true, false]) {
        it(`a sibling server's session, offered by ${via}, ${sameSid ? 'same' : 'different'} sessionIdContext`, async () => {
          const ticketKeys = randomBytes(48);
          const outcomes = {} as Record<Kind, { without: Outcome; withCert: Outcome; errors: string[]; reusedOnB: boolean[] }>;
          for (const kind of KINDS) {
            const store = new Map<string, Buffer>();
            const shared = via.startsWith('ticket') ? { ticketKeys } : { secureOptions: SSL_OP_NO_TICKET };
            const a = await serve(kind, { ...shared, sessionIdContext: 'fleet' });
            const b = await serve(kind, {
              ...shared,
              sessionIdContext: sameSid ? 'fleet' : 'fleet-strict',
              requestCert: true,
              ca: clientCerts().root.pem,
            });
            for (const server of [a, b]) {
              server.addContext('a.test', readyContext(kind));
              if (!via.startsWith('ticket')) {
                server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
                  store.set(id.toString('hex'), data);
                  done();
                });
                server.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) =>
                  done(null, store.get(id.toString('hex')) ?? null),
                );
              }
            }
            const fromA = await connectNodeTls(a.port, { servername: 'a.test' });
            assert.ok(fromA.ok && fromA.session, `${kind}: A lets the client in`);
            if (!via.startsWith('ticket')) assert.equal(store.size, 1, `${kind}: the session went to the store`);
            const without = await connectNodeTls(b.port, { servername: 'a.test', session: fromA.session });
            // node:tls resumes here when the sid_ctx is the same (below) and reports no error.
            const errors = kind === 'node:tls' && sameSid ? [...b.errors] : [...(await b.errorsAfter(1))];
            const withOne = await connectNodeTls(b.port, { servername: 'a.test', session: fromA.session, cert: withCert() });
            outcomes[kind] = { without: outcome(without), withCert: outcome(withOne), errors, reusedOnB: b.seen.map((s) => s.reused) };
          }
          const ours = outcomes.puretls;
          const theirs = outcomes['node:tls'];
          // Without a certificate, neither stack lets application data through.
          assert.equal(ours.without.dataThrough, false);
          assert.equal(theirs.without.dataThrough, false);
          assert.deepEqual(ours.errors, [NO_CERTIFICATE], 'puretls refuses in a full handshake, with node:tls\'s code');
          // With a valid certificate puretls does a full handshake and lets the client in.
          assert.deepEqual(ours.withCert, { dataThrough: true, reused: false, alpn: false, servedBy: 'vhost' });
          assert.deepEqual(ours.reusedOnB, [false]);
          if (sameSid) {
            // node:tls resumes A's session (OpenSSL checks the sid_ctx only), finds no verified
            // peer and drops the connection after the handshake: the client never gets to show
            // its certificate. puretls's rule 8 makes it a full handshake instead.
            assert.equal(theirs.withCert.dataThrough, false);
          } else {
            assert.deepEqual(theirs.withCert, ours.withCert, 'another sid_ctx: a full handshake on both');
            assert.deepEqual(theirs.errors, ours.errors);
          }
        });
      }
    }
  });
});
