/**
 * The TLSSocket surface, each method against node:tls on the same connection: a node:tls
 * client connects to a node:tls server and to a puretls server made from the same options,
 * and what each server socket reports is compared (getPeerCertificate(detailed) deep-equal,
 * getSharedSigalgs, argument errors), or checked against what the node:tls client computes
 * on its side of the same connection (exportKeyingMaterial, getFinished/getPeerFinished).
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { afterEach, describe, it } from 'mocha';
import { ContentType } from '../../src/codec/enums.js';
import { AlertDescription as A } from '../../src/errors.js';
import { TlsContext } from '../../src/context.js';
import puretls, { type Server, type TlsSocket } from '../../src/index.js';
import { clientCerts } from '../helpers/client-certs.js';
import { listenOnLoopback, testCertificate } from '../helpers/fixtures.js';
import { TcpTlsClient, seededRandom } from '../helpers/tls-client.js';

type Kind = 'node:tls' | 'puretls';

interface Connected<T> {
  /** What the server's secureConnection listener computed. */
  server: T;
  /** The node:tls client, still open. */
  client: tls.TLSSocket;
}

/** exportKeyingMaterial without a context (node's typings make the context a required argument; node does not). */
function ekm(socket: tls.TLSSocket, length: number, label: string): Buffer {
  return socket.exportKeyingMaterial(length, label, undefined as unknown as Buffer);
}

const closers: Array<() => Promise<void>> = [];
function serverOptions(extra: tls.TlsOptions = {}): tls.TlsOptions {
  const cert = testCertificate();
  return { key: cert.keyPem, cert: cert.certPem, ...extra };
}

function makeServer(kind: Kind, options: tls.TlsOptions, listener: (socket: tls.TLSSocket) => void): net.Server {
  if (kind === 'node:tls') return tls.createServer({ ...options, maxVersion: 'TLSv1.2' }, listener);
  return puretls.createServer(options, listener);
}

/** A node:tls client (TLS 1.2) to the server on `port`, once its handshake is done; destroyed after the test. */
/**
 * The client side of a STARTTLS exchange with `plain`: connects, sends `STARTTLS`, waits for
 * the server's line when `awaitReply`, then starts node:tls on the same socket and returns
 * the first data it reads.
 */
async function startTlsClient(plain: net.Server, awaitReply: boolean): Promise<string> {
  const listening = await listenOnLoopback(plain);
  closers.push(listening.close);
  const raw = net.connect(listening.port, '127.0.0.1');
  closers.push(async () => void raw.destroy());
  await new Promise((resolve) => raw.once('connect', resolve));
  raw.write('STARTTLS\n');
  if (awaitReply) await new Promise((resolve) => raw.once('data', resolve));
  const client = tls.connect({ socket: raw, rejectUnauthorized: false, maxVersion: 'TLSv1.2' });
  closers.push(async () => void client.destroy());
  return new Promise<string>((resolve, reject) => {
    client.once('data', (d: Buffer) => resolve(d.toString()));
    client.once('error', reject);
  });
}

function openClient(port: number, client: tls.ConnectionOptions = {}): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, maxVersion: 'TLSv1.2', ...client }, () => resolve(socket));
    socket.once('error', reject);
    closers.push(async () => void socket.destroy());
  });
}

/**
 * One connection from a node:tls client (TLS 1.2) to a `kind` server; `inspect` runs in
 * the server's secureConnection listener, its result comes back with the open client.
 */
async function connect<T>(
  kind: Kind,
  options: tls.TlsOptions,
  inspect: (socket: tls.TLSSocket) => T,
  client: tls.ConnectionOptions = {},
): Promise<Connected<T>> {
  let seen!: (value: T) => void;
  const result = new Promise<T>((resolve) => (seen = resolve));
  const server = makeServer(kind, options, (socket) => {
    socket.on('error', () => undefined);
    seen(inspect(socket));
  });
  const listening = await listenOnLoopback(server);
  closers.push(listening.close);
  const socket = await openClient(listening.port, client);
  socket.on('error', () => undefined);
  return { server: await result, client: socket };
}

/** `inspect` on both servers, for the same client. */
async function onBoth<T>(options: tls.TlsOptions, inspect: (socket: tls.TLSSocket) => T, client: tls.ConnectionOptions = {}): Promise<Record<Kind, Connected<T>>> {
  return { 'node:tls': await connect('node:tls', options, inspect, client), puretls: await connect('puretls', options, inspect, client) };
}

describe('node: the TLSSocket surface, against node:tls', function () {
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  this.timeout(30_000);

  describe('getPeerCertificate(detailed): node:tls\'s object, field for field', () => {
    // [name, the client's key and chain, issuers linked above the leaf]
    const cases = [
      ['a leaf issued by the trusted root', () => ({ key: clientCerts().p256.keyPem, cert: clientCerts().p256.pem }), 1],
      ['a P-384 leaf under the intermediate, the client sending leaf and intermediate', () => ({ key: clientCerts().p384Inter.keyPem, cert: clientCerts().p384Inter.chainPem }), 2],
      ['a leaf under the intermediate, the client sending its leaf alone (the rest from ca)', () => ({ key: clientCerts().p256Inter.keyPem, cert: clientCerts().p256Inter.pem }), 2],
      ['a leaf from a CA the server does not trust (rejectUnauthorized: false): no issuer', () => ({ key: clientCerts().stranger.keyPem, cert: clientCerts().stranger.pem }), 0],
    ] as const;
    for (const [name, cert, issuers] of cases) {
      it(name, async () => {
        const c = clientCerts();
        const options = serverOptions({ requestCert: true, rejectUnauthorized: false, ca: [c.root.pem, c.inter.pem] });
        const r = await onBoth(options, (s) => ({ detailed: s.getPeerCertificate(true), plain: s.getPeerCertificate(), x509: s.getPeerX509Certificate()?.raw }), cert());
        assert.deepStrictEqual(r.puretls.server.detailed, r['node:tls'].server.detailed);
        assert.deepStrictEqual(r.puretls.server.plain, r['node:tls'].server.plain);
        assert.deepStrictEqual(r.puretls.server.x509, r['node:tls'].server.x509);
        // Not vacuous: the chain is there, and the root points to itself as in node:tls.
        let depth = 0;
        let at: tls.DetailedPeerCertificate = r.puretls.server.detailed;
        while (at.issuerCertificate && at.issuerCertificate !== at && depth < 5) {
          at = at.issuerCertificate;
          depth++;
        }
        assert.ok(r.puretls.server.detailed.fingerprint512.length > 0 && typeof r.puretls.server.detailed.serialNumber === 'string');
        assert.equal(depth, issuers);
        if (issuers > 0) assert.equal(at.issuerCertificate, at, 'the root is its own issuer');
      });
    }

    it('without a client certificate: {} from both; getPeerX509Certificate() undefined', async () => {
      const r = await onBoth(serverOptions({ requestCert: true, rejectUnauthorized: false, ca: clientCerts().root.pem }), (s) => [s.getPeerCertificate(true), s.getPeerX509Certificate()]);
      assert.deepStrictEqual(r.puretls.server, [{}, undefined]);
      assert.deepStrictEqual(r.puretls.server, r['node:tls'].server);
    });

    it('getCertificate() and getX509Certificate(): our certificate as node:tls reports its own', async () => {
      const r = await onBoth(serverOptions(), (s) => ({ legacy: s.getCertificate(), x509: s.getX509Certificate()?.raw }));
      assert.deepStrictEqual(r.puretls.server, r['node:tls'].server);
      assert.deepEqual(r.puretls.server.x509, new X509Certificate(testCertificate().certPem).raw);
    });
  });

  describe('keying material and channel bindings equal what the node:tls client computes', () => {
    for (const cipher of ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305']) {
      it(`${cipher}: exportKeyingMaterial with and without a context, getFinished/getPeerFinished`, async () => {
        const context = Buffer.from('a context');
        const { server, client } = await connect('puretls', serverOptions(), (s) => ({
          plain: ekm(s, 64, 'EXPERIMENTAL-puretls'),
          withContext: s.exportKeyingMaterial(32, 'EXPERIMENTAL-puretls', context),
          emptyContext: s.exportKeyingMaterial(32, 'EXPERIMENTAL-puretls', Buffer.alloc(0)),
          finished: s.getFinished(),
          peerFinished: s.getPeerFinished(),
        }), { ciphers: cipher });
        assert.equal(client.getCipher().name, cipher);
        assert.deepEqual(server.plain, ekm(client, 64, 'EXPERIMENTAL-puretls'));
        assert.deepEqual(server.withContext, client.exportKeyingMaterial(32, 'EXPERIMENTAL-puretls', context));
        assert.deepEqual(server.emptyContext, client.exportKeyingMaterial(32, 'EXPERIMENTAL-puretls', Buffer.alloc(0)));
        assert.notDeepEqual(server.emptyContext, server.withContext.subarray(0, 32), 'the context counts');
        assert.deepEqual(server.finished, client.getPeerFinished());
        assert.deepEqual(server.peerFinished, client.getFinished());
        assert.equal(server.finished?.length, 12);
      });
    }

    it('on a resumed session too (the abbreviated handshake sends our Finished first)', async () => {
      const seen: Array<{ reused: boolean; ekm: Buffer; finished?: Buffer; peerFinished?: Buffer }> = [];
      const server = puretls.createServer(serverOptions(), (s) => {
        seen.push({ reused: s.isSessionReused(), ekm: ekm(s, 20, 'EXPERIMENTAL-resumed'), finished: s.getFinished(), peerFinished: s.getPeerFinished() });
        s.end();
      });
      const listening = await listenOnLoopback(server);
      closers.push(listening.close);
      const open = async (session?: Buffer): Promise<tls.TLSSocket> => (await openClient(listening.port, session ? { session } : {})).resume();
      const first = await open();
      const session = first.getSession()!;
      const again = await open(session);
      assert.equal(again.isSessionReused(), true);
      await new Promise((resolve) => again.once('end', resolve));
      const last = seen[1]!;
      assert.equal(last.reused, true);
      assert.deepEqual(last.ekm, ekm(again, 20, 'EXPERIMENTAL-resumed'));
      assert.deepEqual(last.finished, again.getPeerFinished());
      assert.deepEqual(last.peerFinished, again.getFinished());
      assert.notDeepEqual(last.ekm, seen[0]!.ekm, 'new randoms, new keying material');
    });

    it('argument and state errors as node:tls: a reserved label, no buffer, length 0, before the handshake', async () => {
      const tryAll = (s: tls.TLSSocket): Array<string | undefined> =>
        [
          () => ekm(s, 16, 'master secret'),
          () => ekm(s, 16, 'key expansion'),
          () => ekm(s, 0, 'x'),
          () => ekm(s, 16, 5 as unknown as string),
          () => s.exportKeyingMaterial(16, 'x', 'ctx' as unknown as Buffer),
          () => s.exportKeyingMaterial(16, 'x', Buffer.alloc(70_000)),
          () => s.setMaxSendFragment(1.5),
          () => s.setMaxSendFragment('x' as unknown as number),
          () => s.renegotiate(5 as unknown as object, () => undefined),
        ].map((f) => {
          try {
            f();
            return undefined;
          } catch (e) {
            return (e as { code?: string }).code;
          }
        });
      const r = await onBoth(serverOptions(), tryAll);
      assert.deepEqual(r.puretls.server, r['node:tls'].server);
      assert.deepEqual(r.puretls.server.slice(0, 2), ['ERR_SSL_TLS_ILLEGAL_EXPORTER_LABEL', 'ERR_SSL_TLS_ILLEGAL_EXPORTER_LABEL']);
      const raw = new net.Socket();
      const unconnected = new puretls.TLSSocket(raw, { isServer: true, secureContext: puretls.createSecureContext(serverOptions()) });
      assert.throws(() => ekm(unconnected, 16, 'x'), { code: 'ERR_TLS_INVALID_STATE' });
      unconnected.destroy();
    });
  });

  it('getSharedSigalgs, getEphemeralKeyInfo, getTLSTicket: as node:tls on a server', async () => {
    const client = { sigalgs: 'ecdsa_secp384r1_sha384:ECDSA+SHA256:ECDSA+SHA224:ecdsa_secp521r1_sha512' };
    const r = await onBoth(serverOptions(), (s) => [s.getSharedSigalgs(), s.getEphemeralKeyInfo(), s.getTLSTicket()], client);
    assert.deepEqual(r.puretls.server, r['node:tls'].server);
    assert.deepEqual(r.puretls.server[0], ['ECDSA+SHA256', 'ECDSA+SHA384', 'ECDSA+SHA512', 'ECDSA+SHA224']);
  });

  it("once destroyed: alpnProtocol, servername, authorized and authorizationError keep their values as node:tls's do; the other getters answer as before a handshake (node:tls's: null), the connection having let go of what it negotiated", async () => {
    // Wrapped, so that connect() hands the promise back before the socket closes.
    const afterClose = (s: tls.TLSSocket): { closed: Promise<Record<string, unknown>> } => ({
      closed: new Promise((resolve) =>
        s.resume().once('close', () => {
          const connection = (s as unknown as Partial<TlsSocket>).connection;
          resolve({
            alpnProtocol: s.alpnProtocol,
            servername: s.servername,
            authorized: s.authorized,
            authorizationError: s.authorizationError,
            getters: [s.getCipher(), s.getSession(), s.isSessionReused(), s.getFinished(), s.getPeerFinished()],
            ...(connection ? { released: [connection.negotiated, connection.session] } : {}),
          });
        }),
      ),
    });
    const r = await onBoth(serverOptions({ ALPNProtocols: ['h2'] }), afterClose, { ALPNProtocols: ['h2'], servername: 'localhost' });
    r['node:tls'].client.destroy();
    r.puretls.client.destroy();
    const [node, ours] = await Promise.all([r['node:tls'].server.closed, r.puretls.server.closed]);
    const kept = { alpnProtocol: 'h2', servername: 'localhost', authorized: false, authorizationError: null };
    assert.deepEqual(node, { ...kept, getters: [null, null, null, null, null] });
    assert.deepEqual(ours, { ...kept, getters: [undefined, undefined, false, undefined, undefined], released: [undefined, undefined] });
  });

  describe('setMaxSendFragment: the records on the wire', () => {
    it('512 cuts a 2000-byte write into records of 512, 512, 512 and 464 bytes; 100 and 16385 are refused (false) as node:tls refuses them', async () => {
      const verdicts: boolean[] = [];
      const server = puretls.createServer(serverOptions(), (s) => {
        verdicts.push(s.setMaxSendFragment(100), s.setMaxSendFragment(16385), s.setMaxSendFragment(512));
        s.write(Buffer.alloc(2000, 7));
      });
      const listening = await listenOnLoopback(server);
      closers.push(listening.close);
      const c = await TcpTlsClient.connect(listening.port, { rng: seededRandom('max fragment') });
      closers.push(async () => c.destroy());
      await c.handshake();
      const data = (): number[] => c.tls.records.filter((r) => r.type === ContentType.application_data).map((r) => r.plaintext.length);
      await c.waitFor(() => data().reduce((a, b) => a + b, 0) >= 2000, '2000 bytes');
      assert.deepEqual(data(), [512, 512, 512, 464]);
      assert.deepEqual(verdicts, [false, false, true]);
      const node = await connect('node:tls', serverOptions(), (s) => [s.setMaxSendFragment(100), s.setMaxSendFragment(16385), s.setMaxSendFragment(512)]);
      assert.deepEqual(node.server, verdicts);
    });
  });

  describe('renegotiation', () => {
    /** A renegotiation ClientHello over an established connection, and what the server did. */
    async function renegotiate(disable: boolean): Promise<{ alerts: Array<{ level: number; description: number }>; error: Error | undefined }> {
      let socketError: Error | undefined;
      const server = puretls.createServer(serverOptions(), (s) => {
        if (disable) s.disableRenegotiation();
        s.on('error', (e) => (socketError = e));
      });
      const listening = await listenOnLoopback(server);
      closers.push(listening.close);
      const c = await TcpTlsClient.connect(listening.port, { rng: seededRandom('renegotiation') });
      closers.push(async () => c.destroy());
      await c.handshake();
      c.send(c.tls.handshakeRecord(c.tls.buildClientHello()));
      await c.waitFor(() => c.tls.alerts.length > 0, 'an alert');
      if (disable) await c.closed;
      return { alerts: c.tls.alerts.map(({ level, description }) => ({ level, description })), error: socketError };
    }

    it('disableRenegotiation(): the first attempt ends the connection with ERR_TLS_RENEGOTIATION_DISABLED (node:tls\'s code) and a fatal no_renegotiation', async () => {
      const r = await renegotiate(true);
      assert.deepEqual(r.alerts, [{ level: 2, description: A.no_renegotiation }]);
      assert.equal((r.error as { code?: string } | undefined)?.code, 'ERR_TLS_RENEGOTIATION_DISABLED');
    });

    it('without it: refused with a no_renegotiation warning, the connection goes on', async () => {
      const r = await renegotiate(false);
      assert.deepEqual(r.alerts, [{ level: 1, description: A.no_renegotiation }]);
      assert.equal(r.error, undefined);
    });

    it('renegotiate(): false, and the callback gets ERR_TLS_RENEGOTIATION_UNSUPPORTED (puretls never renegotiates)', async () => {
      const { server } = await connect('puretls', serverOptions(), (s) => {
        const result = s.renegotiate({ requestCert: true }, (err) => done(err));
        let done!: (err: Error | null) => void;
        const called = new Promise<Error | null>((resolve) => (done = resolve));
        return { result, called };
      });
      assert.equal(server.result, false);
      assert.equal(((await server.called) as { code?: string } | null)?.code, 'ERR_TLS_RENEGOTIATION_UNSUPPORTED');
    });
  });

  describe('enableTrace', () => {
    async function traced(how: 'method' | 'option'): Promise<string> {
      const lines: string[] = [];
      const write = process.stderr.write;
      process.stderr.write = ((chunk: string | Uint8Array) => {
        lines.push(String(chunk));
        return true;
      }) as typeof process.stderr.write;
      try {
        const options = how === 'option' ? { ...serverOptions(), enableTrace: true } : serverOptions();
        let socketSeen!: () => void;
        const seen = new Promise<void>((resolve) => (socketSeen = resolve));
        const server = puretls.createServer(options, (s) => {
          if (how === 'method') s.enableTrace(); // after the handshake: the rest of the connection is traced
          s.end('bye');
          socketSeen();
        });
        const listening = await listenOnLoopback(server);
        closers.push(listening.close);
        const client = tls.connect({ port: listening.port, host: '127.0.0.1', rejectUnauthorized: false, maxVersion: 'TLSv1.2' });
        client.on('error', () => undefined);
        client.resume();
        await seen;
        await new Promise((resolve) => client.once('close', resolve));
      } finally {
        process.stderr.write = write;
      }
      return lines.join('');
    }

    it('the enableTrace option traces every record and handshake message, both ways', async () => {
      const trace = await traced('option');
      for (const expected of [
        /<<< received record: handshake, \d+ bytes\n/,
        /client_hello, \d+ bytes: version TLSv1\.2; .* cipher suites: .*TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256/,
        />>> sent record: handshake, \d+ bytes\n    server_hello, \d+ bytes: .*cipher suite TLS_ECDHE_ECDSA_WITH_/,
        /    certificate, \d+ bytes: 1 certificate\(s\)/,
        /    server_key_exchange, \d+ bytes: ECDHE x25519, public key of 32 bytes, signed with ecdsa_secp256r1_sha256/,
        /    client_key_exchange, \d+ bytes: ECDHE public key of 32 bytes/,
        /<<< received record: change_cipher_spec, 1 bytes/,
        /    finished, 12 bytes: verify_data [0-9a-f]{24}/,
        />>> sent record: application_data, 3 bytes \(protected\)/,
        />>> sent record: alert, 2 bytes \(protected\)\n    alert: warning close_notify \(sent\)/,
      ]) {
        assert.match(trace, expected);
      }
    });

    it('socket.enableTrace() traces from then on', async () => {
      const trace = await traced('method');
      assert.match(trace, />>> sent record: application_data, 3 bytes \(protected\)/);
      assert.doesNotMatch(trace, /client_hello/);
    });
  });

  describe('server.setSecureContext: a new certificate for new connections, none dropped', () => {
    it('connections made before keep theirs and go on; new ones get the new certificate; sessions made before still resume', async () => {
      const first = testCertificate('P-256');
      const second = testCertificate('P-384');
      const echoes: TlsSocket[] = [];
      const server: Server = puretls.createServer({ key: first.keyPem, cert: first.certPem }, (s) => {
        echoes.push(s);
        s.on('data', (d: Buffer) => s.write(d));
      });
      const listening = await listenOnLoopback(server);
      closers.push(listening.close);
      const open = (session?: Buffer): Promise<tls.TLSSocket> => openClient(listening.port, session ? { session } : {});
      const echo = (s: tls.TLSSocket, text: string): Promise<string> =>
        new Promise((resolve) => {
          s.once('data', (d: Buffer) => resolve(d.toString()));
          s.write(text);
        });
      const before = await open();
      const session = before.getSession()!;
      const oldContext = server.context;
      server.setSecureContext({ key: second.keyPem, cert: second.certPem });
      assert.notEqual(server.context, oldContext);
      assert.equal(await echo(before, 'still here'), 'still here', 'the connection from before goes on');
      assert.equal(before.getPeerCertificate().fingerprint256, new X509Certificate(first.certPem).fingerprint256);
      const after = await open();
      assert.equal(after.getPeerCertificate().fingerprint256, new X509Certificate(second.certPem).fingerprint256);
      assert.equal(await echo(after, 'new'), 'new');
      const resumed = await open(session);
      assert.equal(resumed.isSessionReused(), true, 'a ticket issued before the reload opens after it');
      assert.equal(await echo(resumed, 'resumed'), 'resumed');
      assert.equal(echoes.length, 3);
      assert.equal(echoes[0]!.connection.context, oldContext, 'the old connection kept its context');
    });

    it('options are checked as node:tls checks them; what puretls cannot do is refused by name', () => {
      const server = puretls.createServer(serverOptions());
      assert.throws(() => server.setSecureContext(5 as unknown as tls.SecureContextOptions), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => server.setSecureContext({ ...serverOptions(), pfx: Buffer.from('x') }), { code: 'ERR_UNSUPPORTED_OPTION', message: /'pfx'/ });
      const node = tls.createServer(serverOptions());
      assert.throws(() => node.setSecureContext(5 as unknown as tls.SecureContextOptions), { code: 'ERR_INVALID_ARG_TYPE' });
    });
  });

  it('OCSPRequest: refused when the listener is added (puretls does not staple OCSP), never silently ignored', () => {
    const server = puretls.createServer(serverOptions());
    assert.throws(() => server.on('OCSPRequest', () => undefined), { code: 'ERR_OCSP_STAPLING_UNSUPPORTED', message: /OCSP/ });
    assert.throws(() => server.once('OCSPRequest', () => undefined), { code: 'ERR_OCSP_STAPLING_UNSUPPORTED' });
    assert.equal(server.listenerCount('OCSPRequest'), 0);
    const before = server.listenerCount('secureConnection');
    server.on('secureConnection', () => undefined);
    server.once('tlsClientError', () => undefined);
    assert.deepEqual([server.listenerCount('secureConnection'), server.listenerCount('tlsClientError')], [before + 1, 1], 'other events are untouched');
  });

  it('new tls.TLSSocket(socket, ...) after the ClientHello already sits in the socket: the buffered bytes start the handshake', async () => {
    const secureContext = puretls.createSecureContext(serverOptions());
    const buffered: number[] = [];
    const plain = net.createServer((raw) => {
      raw.once('data', (first: Buffer) => {
        // Everything after the command line goes back; then wait for the client's hello to be buffered too.
        raw.pause();
        const line = first.indexOf(10);
        assert.equal(first.subarray(0, line + 1).toString(), 'STARTTLS\n');
        if (line + 1 < first.length) raw.unshift(first.subarray(line + 1));
        const wrap = (): void => {
          if (raw.readableLength === 0) {
            setTimeout(wrap, 5);
            return;
          }
          buffered.push(raw.readableLength);
          const secure = new puretls.TLSSocket(raw, { isServer: true, secureContext });
          secure.once('secure', () => secure.write('hello after a buffered hello'));
          secure.on('error', () => undefined);
        };
        wrap();
      });
    });
    // No wait for an answer: the ClientHello follows the command at once.
    const text = await startTlsClient(plain, false);
    assert.equal(text, 'hello after a buffered hello');
    assert.equal(buffered.length, 1);
    assert.ok(buffered[0]! > 0, 'bytes of the ClientHello were buffered in the socket before it was wrapped');
  });

  it('new tls.TLSSocket(socket, { isServer: true, secureContext }): a socket wrapped by hand (STARTTLS) does its handshake and talks', async () => {
    const secureContext = puretls.createSecureContext(serverOptions());
    assert.ok(secureContext instanceof TlsContext);
    const plain = net.createServer((raw) => {
      raw.once('data', (line: Buffer) => {
        assert.equal(line.toString(), 'STARTTLS\n');
        raw.write('GO\n', () => {
          const secure = new puretls.TLSSocket(raw, { isServer: true, secureContext });
          secure.once('secure', () => secure.write(`hello over ${secure.getProtocol()}`));
          secure.on('error', () => undefined);
        });
      });
    });
    const text = await startTlsClient(plain, true);
    assert.equal(text, 'hello over TLSv1.2');
  });
});
