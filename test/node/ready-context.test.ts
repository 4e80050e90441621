/**
 * createServer({ context, ... }): every createServer option either takes effect
 * over a ready TlsContext or is refused at creation with a TlsConfigError naming it. Nothing
 * is dropped in silence; above all not the client-certificate policy.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { X509Certificate } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, it } from 'mocha';
import { TlsContext } from '../../src/context.js';
import { TlsConfigError } from '../../src/errors.js';
import { CONTEXT_OPTIONS, SERVER_OPTIONS, type ServerOptions } from '../../src/node/options.js';
import { createServer } from '../../src/node/server.js';
import type { TlsSocket } from '../../src/node/socket.js';
import { clientCerts } from '../helpers/client-certs.js';
import { startServer, testCertificate, type RunningServer } from '../helpers/fixtures.js';
import { connectNodeTls } from '../helpers/node-tls.js';

const cert = testCertificate('P-256');
const ready = (extra: ConstructorParameters<typeof TlsContext>[0] = {}): TlsContext =>
  new TlsContext({ key: cert.keyPem, cert: cert.certPem, ...extra });

/** A valid value for each option that belongs in the context: each is refused beside `context`. */
const CONTEXT_OPTION_VALUES: Record<(typeof CONTEXT_OPTIONS)[number], unknown> = {
  key: cert.keyPem,
  cert: cert.certPem,
  ca: cert.certPem,
  ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  ecdhCurve: 'X25519',
  honorCipherOrder: false,
  ALPNProtocols: ['http/1.1'],
  sessionIdContext: 'app',
  sessionTimeout: 60,
  ticketKeys: Buffer.alloc(48, 1),
  tickets: false,
  secureOptions: 0x4000,
  sessionCache: false,
};

const running: RunningServer[] = [];
async function serve(options: ServerOptions, listener?: (s: TlsSocket) => void): Promise<RunningServer & { seen: TlsSocket[]; errors: string[] }> {
  const seen: TlsSocket[] = [];
  const errors: string[] = [];
  const server = await startServer(options, (s) => {
    seen.push(s);
    s.on('error', () => undefined);
    listener?.(s);
    s.write('application data');
  });
  server.server.on('tlsClientError', (e: Error & { reason?: string; code?: string }) => errors.push(e.reason ?? e.code ?? e.message));
  running.push(server);
  return Object.assign(server, { seen, errors });
}

/** The server's tlsClientError reasons once `n` have been emitted (bounded by mocha's timeout). */
async function clientErrors(s: RunningServer & { errors: string[] }, n = 1): Promise<string[]> {
  while (s.errors.length < n) await once(s.server, 'tlsClientError');
  return s.errors;
}

describe('node: createServer with a ready `context`', function () {
  afterEach(async () => {
    while (running.length) await running.pop()!.close();
  });

  this.timeout(30_000);

  it('every option is either applied over a context or refused with it (no third kind)', () => {
    // Written out here from the README's createServer table, not taken from src: the Record type
    // makes this fail to compile when ServerOptions gains a key the table does not place.
    const EVERY_OPTION: Record<keyof ServerOptions, 'applied' | 'refused'> = {
      requestCert: 'applied', rejectUnauthorized: 'applied', maxCertificateChain: 'applied',
      SNICallback: 'applied', handshakeTimeout: 'applied', minVersion: 'applied', maxVersion: 'applied',
      allowHalfOpen: 'applied', pauseOnConnect: 'applied', noDelay: 'applied', keepAlive: 'applied',
      keepAliveInitialDelay: 'applied', highWaterMark: 'applied', context: 'applied', enableTrace: 'applied',
      key: 'refused', cert: 'refused', ca: 'refused', ciphers: 'refused', ecdhCurve: 'refused',
      honorCipherOrder: 'refused', ALPNProtocols: 'refused', sessionIdContext: 'refused',
      sessionTimeout: 'refused', ticketKeys: 'refused', tickets: 'refused', secureOptions: 'refused',
      sessionCache: 'refused',
    };
    const kind = (k: 'applied' | 'refused'): string[] => Object.keys(EVERY_OPTION).filter((o) => EVERY_OPTION[o as keyof ServerOptions] === k).sort();
    assert.deepEqual([...CONTEXT_OPTIONS].sort(), kind('refused'));
    assert.deepEqual(Object.keys(CONTEXT_OPTION_VALUES).sort(), kind('refused'), 'each refused option is tried below');
    const applied = new Set(kind('applied'));
    for (const o of SERVER_OPTIONS) assert.ok(applied.has(o), `${o} is a server option the table does not list as applied`);
  });

  describe('refused at creation, naming the option (they would have to change the context)', () => {
    for (const [name, value] of Object.entries(CONTEXT_OPTION_VALUES)) {
      it(name, () => {
        // Without `context` the same value is fine...
        if (name !== 'key' && name !== 'cert') createServer({ key: cert.keyPem, cert: cert.certPem, [name]: value });
        // ...beside one, it is refused.
        assert.throws(
          () => createServer({ context: ready(), [name]: value }),
          (e: unknown) =>
            e instanceof TlsConfigError && e.code === 'ERR_UNSUPPORTED_OPTION' && e.message.includes(`'${name}'`) && /context/.test(e.message),
        );
      });
    }

    it("{ context, requestCert, ca } (the README's example) is refused for 'ca', not served without a CA", () => {
      assert.throws(
        () => createServer({ context: ready(), requestCert: true, ca: clientCerts().root.pem }),
        (e: unknown) => e instanceof TlsConfigError && /'ca'/.test(e.message),
      );
    });
  });

  describe('applied over the context', () => {
    it('requestCert: a client without a certificate is refused with node:tls\'s code; one with a certificate is authorized', async () => {
      const s = await serve({ context: ready({ ca: clientCerts().root.pem }), requestCert: true });
      const without = await connectNodeTls(s.port);
      assert.equal(without.ok, false, 'application data reached a client without a certificate');
      assert.deepEqual(await clientErrors(s), ['ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE']);
      const withOne = await connectNodeTls(s.port, { cert: { key: clientCerts().p256.keyPem, cert: clientCerts().p256.pem } });
      assert.ok(withOne.ok);
      assert.equal(s.seen[0]!.authorized, true);
    });

    it('requestCert with a context that has no `ca`: a certificate cannot verify, so the client is refused (fails closed)', async () => {
      const s = await serve({ context: ready(), requestCert: true });
      const withOne = await connectNodeTls(s.port, { cert: { key: clientCerts().p256.keyPem, cert: clientCerts().p256.pem } });
      assert.equal(withOne.ok, false);
      assert.deepEqual(await clientErrors(s), ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY']);
    });

    it('rejectUnauthorized: false with requestCert: the client without a certificate is let in, unauthorized', async () => {
      const s = await serve({ context: ready({ ca: clientCerts().root.pem }), requestCert: true, rejectUnauthorized: false });
      assert.ok((await connectNodeTls(s.port)).ok);
      assert.equal(s.seen[0]!.authorized, false);
      assert.equal(s.seen[0]!.authorizationError, 'UNABLE_TO_GET_ISSUER_CERT');
    });

    it('rejectUnauthorized alone over a requestCert context: applied to its policy', async () => {
      const s = await serve({ context: ready({ ca: clientCerts().root.pem, requestCert: true }), rejectUnauthorized: false });
      assert.ok((await connectNodeTls(s.port)).ok);
      assert.equal(s.seen[0]!.authorized, false);
    });

    it('requestCert: false over a requestCert context: the server\'s choice holds for its connections', async () => {
      const s = await serve({ context: ready({ ca: clientCerts().root.pem, requestCert: true }), requestCert: false });
      assert.ok((await connectNodeTls(s.port)).ok);
      assert.equal(s.seen[0]!.authorizationError, null, 'no certificate was asked for');
    });

    it('maxCertificateChain: a chain longer than the server allows is refused over a context that allows it', async () => {
      const c = clientCerts();
      const chain = { key: c.p256Inter.keyPem, cert: c.p256Inter.chainPem }; // leaf + intermediate
      const roomy = await serve({ context: ready({ ca: c.root.pem }), requestCert: true });
      assert.ok((await connectNodeTls(roomy.port, { cert: chain })).ok, 'two certificates pass the default limit');
      const tight = await serve({ context: ready({ ca: c.root.pem }), requestCert: true, maxCertificateChain: 1 });
      assert.equal((await connectNodeTls(tight.port, { cert: chain })).ok, false);
      assert.deepEqual(await clientErrors(tight), ['CERT_CHAIN_TOO_LONG']);
    });

    it('SNICallback: the context it answers serves the host', async () => {
      const vhost = testCertificate('P-384');
      const host = new TlsContext({ key: vhost.keyPem, cert: vhost.certPem });
      const s = await serve({ context: ready(), SNICallback: (_name, cb) => cb(null, host) });
      const r = await connectNodeTls(s.port, { servername: 'a.test' });
      assert.ok(r.ok);
      assert.equal(r.serverFingerprint256, new X509Certificate(vhost.certPem).fingerprint256);
    });

    it('handshakeTimeout: a client that says nothing is cut off', async () => {
      const s = await serve({ context: ready(), handshakeTimeout: 150 });
      const raw = net.connect(s.port, '127.0.0.1');
      raw.on('error', () => undefined);
      await new Promise<void>((resolve) => raw.once('close', () => resolve()));
      assert.deepEqual(await clientErrors(s), ['ERR_TLS_HANDSHAKE_TIMEOUT']);
    });

    it("minVersion / maxVersion: 'TLSv1.2' is accepted, anything else refused, as without a context", () => {
      createServer({ context: ready(), minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
      assert.throws(() => createServer({ context: ready(), maxVersion: 'TLSv1.3' }), /TLSv1\.2 only/);
    });

    it('net.Server options reach the net.Server, and allowHalfOpen the TLS sockets', async () => {
      const server = createServer({ context: ready(), noDelay: true, keepAlive: true, pauseOnConnect: false, highWaterMark: 1234 });
      const fields = server as unknown as Record<string, unknown>;
      assert.deepEqual([fields.noDelay, fields.keepAlive, fields.highWaterMark], [true, true, 1234]);
      const s = await serve({ context: ready(), allowHalfOpen: true });
      assert.ok((await connectNodeTls(s.port)).ok);
      assert.equal(s.seen[0]!.allowHalfOpen, true);
    });
  });
});
