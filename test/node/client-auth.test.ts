/**
 * Client certificates through the node:tls-shaped API, with node:tls clients: each case runs
 * against a puretls server and against a node:tls server configured the same way, and what
 * the application sees (`authorized`, `authorizationError`, `getPeerCertificate()`,
 * `isSessionReused()`) must be the same.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import tls from 'node:tls';
import { afterEach, describe, it } from 'mocha';
import type { TlsSocket } from '../../src/node/socket.js';
import { privateKeyToPem } from '../../src/pki/keys.js';
import { buildChain } from '../helpers/cert-builder.js';
import { clientCerts, derToPem, type ClientCert } from '../helpers/client-certs.js';
import { startServer, testCertificate } from '../helpers/fixtures.js';
import { connectNodeTls, startNodeTlsServer, type NodeClientResult } from '../helpers/node-tls.js';

/** What a server's secureConnection listener saw. */
interface Seen {
  authorized: boolean;
  authorizationError: string | null;
  reused: boolean;
  cn: string | undefined;
  fingerprint256: string | undefined;
  raw: string | undefined;
  validFrom: string | undefined;
  validTo: string | undefined;
  subjectaltname: string | undefined;
}

interface Served {
  port: number;
  seen: Seen[];
  errors: Error[];
  close(): Promise<void>;
}

type ServerKind = 'puretls' | 'node:tls';

interface AuthOptions {
  requestCert?: boolean;
  rejectUnauthorized?: boolean;
  ca?: string | string[];
  sessionIdContext?: string;
  ticketKeys?: Buffer;
  /** puretls only. */
  maxCertificateChain?: number;
}

const cleanups: Array<() => Promise<void>> = [];
function observe(socket: tls.TLSSocket | TlsSocket): Seen {
  const peer = socket.getPeerCertificate() as Partial<tls.PeerCertificate>;
  const error = socket.authorizationError as unknown;
  const cn = peer.subject?.CN;
  return {
    authorized: socket.authorized,
    authorizationError: error === undefined || error === null ? null : String(error),
    reused: socket.isSessionReused(),
    cn: Array.isArray(cn) ? cn.join(',') : cn,
    fingerprint256: peer.fingerprint256,
    raw: peer.raw?.toString('hex'),
    validFrom: peer.valid_from,
    validTo: peer.valid_to,
    subjectaltname: peer.subjectaltname,
  };
}

/** A server of either kind with the same P-256 server certificate and these options. */
async function serve(kind: ServerKind, options: AuthOptions): Promise<Served> {
  const seen: Seen[] = [];
  const errors: Error[] = [];
  const onSecure = (socket: tls.TLSSocket | TlsSocket): void => {
    seen.push(observe(socket));
    socket.on('error', () => undefined);
    socket.end('ok');
  };
  let port: number;
  let close: () => Promise<void>;
  if (kind === 'puretls') {
    const running = await startServer(options, onSecure);
    running.server.on('tlsClientError', (e: Error) => errors.push(e));
    port = running.port;
    close = () => running.close();
  } else {
    const cert = testCertificate();
    const running = await startNodeTlsServer({ key: cert.keyPem, cert: cert.certPem, maxVersion: 'TLSv1.2', ...options }, onSecure);
    running.server.on('tlsClientError', (e: Error) => errors.push(e));
    port = running.port;
    close = () => running.close();
  }
  const served = { port, seen, errors, close };
  cleanups.push(close);
  return served;
}

type ClientResult = NodeClientResult;

/** A node:tls client (TLS 1.2) with an optional certificate; waits for the server's "ok" or the end. */
function connect(port: number, cert: { key: string; cert: string } | undefined, session?: Buffer): Promise<ClientResult> {
  return connectNodeTls(port, { ...(cert ? { cert } : {}), ...(session ? { session } : {}) });
}

const withCert = (leaf: ClientCert): { key: string; cert: string } => ({ key: leaf.keyPem, cert: leaf.chainPem });

/** Runs one client against both kinds of server with the same options. */
async function both(options: AuthOptions, cert: { key: string; cert: string } | undefined): Promise<Record<ServerKind, { served: Served; client: ClientResult }>> {
  const out = {} as Record<ServerKind, { served: Served; client: ClientResult }>;
  for (const kind of ['puretls', 'node:tls'] as const) {
    const served = await serve(kind, options);
    out[kind] = { served, client: await connect(served.port, cert) };
  }
  return out;
}

describe('node: client certificates with node:tls clients, compared with a node:tls server', function () {
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  this.timeout(60_000);

  it('a P-256 client certificate from the trusted root: authorized, and getPeerCertificate() as node:tls gives it', async () => {
    const c = clientCerts();
    const r = await both({ requestCert: true, ca: c.root.pem }, withCert(c.p256));
    assert.ok(r.puretls.client.ok, r.puretls.client.error);
    const ours = r.puretls.served.seen[0]!;
    assert.equal(ours.authorized, true);
    assert.equal(ours.authorizationError, null);
    assert.equal(ours.cn, 'client p256');
    assert.equal(ours.raw, c.p256.der.toString('hex'));
    assert.equal(ours.fingerprint256, c.p256.fingerprint256);
    assert.deepEqual(ours, r['node:tls'].served.seen[0]);
  });

  describe('rejectUnauthorized: false — the same authorized / authorizationError / peer certificate as node:tls', () => {
    const cases: Array<[string, (c: ReturnType<typeof clientCerts>) => ClientCert]> = [
      ['P-384 leaf with its intermediate', (c) => c.p384Inter],
      ['P-256 leaf with its intermediate', (c) => c.p256Inter],
      ['a client certificate from an unknown CA', (c) => c.stranger],
      ['an expired client certificate', (c) => c.expired],
      ['a serverAuth-only leaf', (c) => c.serverOnly],
    ];
    for (const [name, pick] of cases) {
      it(name, async () => {
        const c = clientCerts();
        const r = await both({ requestCert: true, rejectUnauthorized: false, ca: c.root.pem }, withCert(pick(c)));
        assert.ok(r['node:tls'].client.ok && r.puretls.client.ok, `${r.puretls.client.error}`);
        assert.deepEqual(r.puretls.served.seen, r['node:tls'].served.seen);
        assert.equal(r.puretls.served.seen[0]!.raw, pick(c).der.toString('hex'));
      });
    }

    it('a leaf sent without its intermediate', async () => {
      const c = clientCerts();
      const r = await both({ requestCert: true, rejectUnauthorized: false, ca: c.root.pem }, { key: c.p256Inter.keyPem, cert: c.p256Inter.pem });
      assert.deepEqual(r.puretls.served.seen, r['node:tls'].served.seen);
      assert.equal(r.puretls.served.seen[0]!.authorizationError, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
    });

    it('an unknown CA whose root the client sends too', async () => {
      const c = clientCerts();
      const r = await both({ requestCert: true, rejectUnauthorized: false, ca: c.root.pem }, { key: c.stranger.keyPem, cert: c.stranger.pem + c.otherRoot.pem });
      assert.deepEqual(r.puretls.served.seen, r['node:tls'].served.seen);
      assert.equal(r.puretls.served.seen[0]!.authorizationError, 'SELF_SIGNED_CERT_IN_CHAIN');
    });

    it('no client certificate: not authorized, and the same authorizationError as node:tls', async () => {
      const c = clientCerts();
      const r = await both({ requestCert: true, rejectUnauthorized: false, ca: c.root.pem }, undefined);
      assert.ok(r.puretls.client.ok, r.puretls.client.error);
      const ours = r.puretls.served.seen[0]!;
      const theirs = r['node:tls'].served.seen[0]!;
      assert.equal(ours.authorized, false);
      assert.equal(ours.raw, undefined);
      // node:tls: VerifyPeerCertificate()'s default when there is no peer certificate.
      assert.equal(theirs.authorizationError, 'UNABLE_TO_GET_ISSUER_CERT');
      assert.equal(ours.authorizationError, theirs.authorizationError);
    });

    it('no `ca` at all: a good certificate is not authorized, as with node:tls', async () => {
      const c = clientCerts();
      const r = await both({ requestCert: true, rejectUnauthorized: false }, withCert(c.p256));
      assert.equal(r.puretls.served.seen[0]!.authorized, false);
      assert.deepEqual(r.puretls.served.seen, r['node:tls'].served.seen);
    });
  });

  it('requestCert off: a client with a certificate does not send it; authorized false, authorizationError null, no peer certificate', async () => {
    const c = clientCerts();
    const r = await both({ ca: c.root.pem }, withCert(c.p256));
    const ours = r.puretls.served.seen[0]!;
    assert.equal(ours.authorized, false);
    assert.equal(ours.authorizationError, null);
    assert.equal(ours.raw, undefined);
    assert.deepEqual(ours, r['node:tls'].served.seen[0]);
  });

  describe('rejectUnauthorized (default true): both servers refuse the same clients', () => {
    const cases: Array<[string, (c: ReturnType<typeof clientCerts>) => { key: string; cert: string } | undefined, string]> = [
      ['no certificate', () => undefined, 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE'],
      ['unknown CA', (c) => withCert(c.stranger), 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'],
      ['expired', (c) => withCert(c.expired), 'CERT_HAS_EXPIRED'],
      ['serverAuth only', (c) => withCert(c.serverOnly), 'INVALID_PURPOSE'],
    ];
    for (const [name, pick, code] of cases) {
      it(name, async () => {
        const c = clientCerts();
        const r = await both({ requestCert: true, ca: c.root.pem }, pick(c));
        for (const kind of ['puretls', 'node:tls'] as const) {
          assert.equal(r[kind].client.ok, false, `${kind} let the client in`);
          assert.deepEqual(r[kind].served.seen, [], `${kind}: no secureConnection`);
        }
        assert.deepEqual(r.puretls.served.errors.map((e) => (e as Error & { reason?: string }).reason), [code]);
      });
    }

    it('good certificates are authorized by both', async () => {
      const c = clientCerts();
      for (const leaf of [c.p256, c.p384, c.p256Inter, c.p384Inter]) {
        const r = await both({ requestCert: true, ca: c.root.pem }, withCert(leaf));
        assert.equal(r.puretls.served.seen[0]?.authorized, true, leaf.name);
        assert.deepEqual(r.puretls.served.seen, r['node:tls'].served.seen, leaf.name);
      }
    });
  });

  it('RSA, RSA-PSS and Ed25519 client certificates, and an all-RSA chain: authorized by both, seen the same', async () => {
    const c = clientCerts();
    for (const [leaf, ca] of [[c.rsa, c.root.pem], [c.rsaPss, c.root.pem], [c.ed25519, c.root.pem], [c.rsaUnderRsa, c.rsaRoot.pem]] as const) {
      const r = await both({ requestCert: true, ca }, withCert(leaf));
      assert.equal(r['node:tls'].served.seen[0]?.authorized, true, `node:tls, ${leaf.name}`);
      assert.equal(r.puretls.served.seen[0]?.authorized, true, `puretls, ${leaf.name}`);
      assert.equal(r.puretls.served.seen[0]!.cn, leaf.cn);
      assert.deepEqual(r.puretls.served.seen, r['node:tls'].served.seen, leaf.name);
    }
  });

  it('an RSA-signed chain with a bad signature: refused by both; without rejectUnauthorized both report CERT_SIGNATURE_FAILURE', async () => {
    const c = clientCerts();
    const broken = Buffer.from(c.rsaUnderRsa.der);
    broken[broken.length - 10]! ^= 0x01;
    const cert = { key: c.rsaUnderRsa.keyPem, cert: derToPem(broken) };
    const strict = await both({ requestCert: true, ca: c.rsaRoot.pem }, cert);
    for (const kind of ['puretls', 'node:tls'] as const) {
      assert.equal(strict[kind].client.ok, false, `${kind} let the client in`);
      assert.deepEqual(strict[kind].served.seen, []);
    }
    assert.deepEqual(strict.puretls.served.errors.map((e) => (e as Error & { reason?: string }).reason), ['CERT_SIGNATURE_FAILURE']);
    const lenient = await both({ requestCert: true, rejectUnauthorized: false, ca: c.rsaRoot.pem }, cert);
    assert.equal(lenient.puretls.served.seen[0]?.authorizationError, 'CERT_SIGNATURE_FAILURE');
    assert.deepEqual(lenient.puretls.served.seen, lenient['node:tls'].served.seen);
  });

  describe('resumption keeps what the application sees', () => {
    const cases: Array<[string, (c: ReturnType<typeof clientCerts>) => ClientCert, boolean]> = [
      ['a trusted P-384 certificate with its intermediate', (c) => c.p384Inter, true],
      ['an unknown-CA certificate under rejectUnauthorized: false', (c) => c.stranger, false],
    ];
    for (const [name, pick, reject] of cases) {
      it(name, async () => {
        const c = clientCerts();
        const options: AuthOptions = { requestCert: true, rejectUnauthorized: reject, ca: c.root.pem, sessionIdContext: 'client-auth-parity' };
        const results: Seen[][] = [];
        for (const kind of ['puretls', 'node:tls'] as const) {
          const served = await serve(kind, options);
          const first = await connect(served.port, withCert(pick(c)));
          assert.ok(first.ok && first.session, `${kind}: first connection`);
          const again = await connect(served.port, withCert(pick(c)), first.session);
          assert.ok(again.ok, `${kind}: resumed connection`);
          assert.equal(again.reused, true, `${kind}: the client resumed`);
          results.push(served.seen);
        }
        const [ours, theirs] = results as [Seen[], Seen[]];
        assert.deepEqual(ours.map((s) => s.reused), [false, true]);
        assert.deepEqual({ ...ours[1]!, reused: false }, ours[0], 'the resumed connection reports what the full one did');
        assert.equal(ours[1]!.raw, pick(c).der.toString('hex'));
        assert.deepEqual(ours, theirs);
      });
    }
  });
  it('`ca` as an array of PEMs: a leaf of the second root is authorized, as with node:tls', async () => {
    const c = clientCerts();
    const r = await both({ requestCert: true, ca: [c.otherRoot.pem, c.root.pem] }, withCert(c.p384));
    assert.equal(r.puretls.served.seen[0]?.authorized, true);
    assert.deepEqual(r.puretls.served.seen, r['node:tls'].served.seen);
  });

  it('maxCertificateChain: a client sending 11 certificates is refused with unknown_ca (node:tls, verify depth 100, takes it); the option admits it', async () => {
    const eleven = buildChain(11, { label: 'node eleven' });
    const cert = { key: privateKeyToPem(eleven.leaf.key), cert: eleven.chain.map(derToPem).join('') };
    const ca = derToPem(eleven.root.der);
    const r = await both({ requestCert: true, ca }, cert);
    assert.equal(r['node:tls'].served.seen[0]?.authorized, true);
    assert.equal(r.puretls.client.ok, false);
    assert.match(r.puretls.client.error ?? '', /alert number 48/, 'unknown_ca');
    assert.equal((r.puretls.served.errors[0] as { reason?: string } | undefined)?.reason, 'CERT_CHAIN_TOO_LONG');
    const admitted = await serve('puretls', { requestCert: true, ca, maxCertificateChain: 11 });
    assert.ok((await connect(admitted.port, cert)).ok);
    assert.equal(admitted.seen[0]?.authorized, true);
  });

  describe('rejectUnauthorized also holds for resumed sessions (node:tls checks the verify result after every handshake)', () => {
    // Two servers sharing a sid_ctx and ticket keys: A lets unauthorized clients in, B must not.
    // node:tls destroys B's connection (its verifyError is the session's); a full handshake
    // in its place would refuse the client too. Either way B never hands out the connection.
    const cases: Array<[string, (c: ReturnType<typeof clientCerts>) => { key: string; cert: string } | undefined]> = [
      ['a session made with an unknown-CA certificate', (c) => withCert(c.stranger)],
      ['a session made without a client certificate', () => undefined],
    ];
    for (const [name, pick] of cases) {
      it(name, async () => {
        const c = clientCerts();
        const ticketKeys = randomBytes(48);
        const shared: AuthOptions = { requestCert: true, ca: c.root.pem, sessionIdContext: 'shared-between-a-and-b', ticketKeys };
        for (const kind of ['node:tls', 'puretls'] as const) {
          const lenient = await serve(kind, { ...shared, rejectUnauthorized: false });
          const strict = await serve(kind, { ...shared, rejectUnauthorized: true });
          const first = await connect(lenient.port, pick(c));
          assert.ok(first.ok && first.session, `${kind}: the lenient server lets the client in`);
          assert.equal(lenient.seen[0]?.authorized, false);
          const again = await connect(strict.port, pick(c), first.session);
          assert.deepEqual(
            strict.seen.map((x) => [x.reused, x.authorized, x.authorizationError]),
            [],
            `${kind}: the strict server must not hand out an unauthorized connection`,
          );
          assert.equal(again.ok, false, `${kind}: the client got in`);
        }
      });
    }
  });
});
