/**
 * `openssl s_client` (and node:tls clients) against puretls serving RSA, RSA-PSS, Ed25519 and
 * Ed448 certificates, and several certificates on one server. s_client checks the ServerKeyExchange signature
 * with OpenSSL and the certificate against it as a trusted CA file (`-verify_return_error`),
 * and prints what it verified ("Peer signature type", "Peer signing digest", "Server public
 * key is N bit"). Dual certificates are also compared with `openssl s_server -cert -dcert`
 * given the same clients. A fault injected into the RSA-CRT result through the crypto
 * provider must end the handshake with internal_error before anything signed is sent.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, it } from 'mocha';
import { TlsContext } from '../../src/context.js';
import { NobleCryptoProvider } from '../../src/crypto/noble.js';
import { NodeCryptoProvider } from '../../src/node/node-crypto.js';
import type { RsaPrivateKeyParts, RsaSigningKey } from '../../src/crypto/provider.js';
import { RsaCrtSigner } from '../../src/crypto/rsa.js';
import { AlertDescription, type TlsError } from '../../src/errors.js';
import type { ServerOptions } from '../../src/node/options.js';
import type { TlsSocket } from '../../src/node/socket.js';
import { startServer, testCertificate, type RunningServer } from '../helpers/fixtures.js';
import { Scratch, freePort, startSServer, stop } from '../helpers/openssl.js';
import { runSClient, type SClientResult } from '../helpers/s-client.js';
import { serverCertificate } from '../helpers/server-certs.js';
import { Processes, RSA_SUITES, SUITES } from '../helpers/peers.js';

const CLI = fileURLToPath(new URL('../../src/cli.js', import.meta.url));

const RSA_CIPHERS = RSA_SUITES.map((s) => s.openssl);
const ECDSA_CIPHERS = SUITES.map((s) => s.openssl);

/** The six RSA schemes TLS 1.2 may use (RFC 9155: no SHA-1), and what s_client 3.0 prints after verifying each. */
const RSA_SCHEMES = [
  { sigalg: 'rsa_pss_rsae_sha256', type: 'RSA-PSS', digest: 'SHA256' },
  { sigalg: 'rsa_pss_rsae_sha384', type: 'RSA-PSS', digest: 'SHA384' },
  { sigalg: 'rsa_pss_rsae_sha512', type: 'RSA-PSS', digest: 'SHA512' },
  { sigalg: 'rsa_pkcs1_sha256', type: 'RSA', digest: 'SHA256' },
  { sigalg: 'rsa_pkcs1_sha384', type: 'RSA', digest: 'SHA384' },
  { sigalg: 'rsa_pkcs1_sha512', type: 'RSA', digest: 'SHA512' },
] as const;

const servers: RunningServer[] = [];
const cleanups: Array<() => Promise<void> | void> = [];

interface Served {
  port: number;
  /** The certificate kind and cipher of each finished handshake, as the server reports them. */
  seen: Array<{ keyType: string | undefined; cipher: string | undefined }>;
  errors: TlsError[];
  running: RunningServer;
}

async function serve(options: ServerOptions): Promise<Served> {
  const seen: Served['seen'] = [];
  const errors: TlsError[] = [];
  const running = await startServer(options, (socket: TlsSocket) => {
    seen.push({ keyType: socket.connection.negotiated?.certificate?.keyType, cipher: socket.getCipher()?.name });
    socket.end(`served ${socket.getCipher()?.name}\n`);
  });
  running.server.on('tlsClientError', (e: TlsError) => errors.push(e));
  servers.push(running);
  return { port: running.port, seen, errors, running };
}

/** s_client, TLS 1.2, trusting `caFile` and failing on a verification error. */
function sClient(port: number, caFile: string | undefined, args: string[]): Promise<SClientResult> {
  const trust = caFile ? ['-CAfile', caFile, '-verify_return_error', '-verify_hostname', 'localhost'] : [];
  // -ign_eof: read until the server's close_notify, so the line it sends is seen.
  return runSClient(port, { args: ['-tls1_2', '-ign_eof', ...trust, ...args] });
}

function describeRun(r: SClientResult): string {
  return `s_client exited ${r.code}\n--- stdout ---\n${r.stdout.toString('latin1').slice(-3000)}\n--- stderr ---\n${r.stderr.slice(-2000)}`;
}

function assertServed(r: SClientResult, cipher: string): void {
  assert.equal(r.code, 0, describeRun(r));
  assert.deepEqual(r.alerts, [], describeRun(r));
  assert.equal(r.cipher, cipher);
  assert.match(r.stdout.toString('latin1'), /Verify return code: 0 \(ok\)/);
  assert.match(r.stdout.toString('latin1'), new RegExp(`^served ${cipher}$`, 'm'));
}

describe('interop: openssl s_client and node:tls against RSA, RSA-PSS and EdDSA certificates', function () {
  this.timeout(180_000);

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
    while (cleanups.length) await cleanups.pop()!();
  });

  for (const [kind, bits] of [['rsa2048', 2048], ['rsa4096', 4096]] as const) {
    it(`${kind}: each RSA suite with -sigalgs restricted to each of the six RSA schemes (18 handshakes, each verified by s_client)`, async () => {
      const cert = serverCertificate(kind);
      const h = await serve({ key: cert.keyPem, cert: cert.certPem });
      for (const cipher of RSA_CIPHERS) {
        for (const scheme of RSA_SCHEMES) {
          const r = await sClient(h.port, cert.certFile, ['-cipher', cipher, '-sigalgs', scheme.sigalg]);
          assertServed(r, cipher);
          assert.equal(r.peerSignatureType, scheme.type, `${cipher} ${scheme.sigalg}`);
          assert.equal(r.peerSigningDigest, scheme.digest, `${cipher} ${scheme.sigalg}`);
          assert.equal(r.serverPublicKeyBits, bits);
        }
      }
      assert.equal(h.seen.length, 18);
      assert.ok(h.seen.every((s) => s.keyType === 'RSA'));
      assert.deepEqual(h.errors, []);
    });
  }

  it('rsa2048 with s_client\'s defaults: rsa_pss_rsae_sha256 and ECDHE-RSA-AES128-GCM-SHA256 (our order)', async () => {
    const cert = serverCertificate('rsa2048');
    const h = await serve({ key: cert.keyPem, cert: cert.certPem });
    const r = await sClient(h.port, cert.certFile, []);
    assertServed(r, 'ECDHE-RSA-AES128-GCM-SHA256');
    assert.equal(r.peerSignatureType, 'RSA-PSS');
    assert.equal(r.peerSigningDigest, 'SHA256');
  });

  it('rsa2048, -sigalgs RSA+SHA1 alone (offered at security level 0): handshake failure (RFC 9155), and the next client is served', async () => {
    const cert = serverCertificate('rsa2048');
    const h = await serve({ key: cert.keyPem, cert: cert.certPem });
    const r = await sClient(h.port, undefined, ['-sigalgs', 'RSA+SHA1', '-cipher', 'DEFAULT@SECLEVEL=0']);
    assert.notEqual(r.code, 0);
    assert.deepEqual(r.alerts, ['handshake failure'], describeRun(r));
    if (h.errors.length === 0) await once(h.running.server, 'tlsClientError');
    assert.equal(h.errors[0]?.reason, 'ERR_NO_SHARED_SIGALG');
    assertServed(await sClient(h.port, cert.certFile, []), 'ECDHE-RSA-AES128-GCM-SHA256');
  });

  it('rsa2048 and a client with ECDSA suites only: handshake failure (no shared cipher)', async () => {
    const cert = serverCertificate('rsa2048');
    const h = await serve({ key: cert.keyPem, cert: cert.certPem });
    const r = await sClient(h.port, undefined, ['-cipher', 'ECDSA']);
    assert.deepEqual(r.alerts, ['handshake failure'], describeRun(r));
    if (h.errors.length === 0) await once(h.running.server, 'tlsClientError');
    assert.equal(h.errors[0]?.reason, 'ERR_NO_SHARED_CIPHER');
  });

  it('an id-RSASSA-PSS key: rsa_pss_pss_sha256/384/512, each RSA suite', async () => {
    const cert = serverCertificate('rsa-pss');
    const h = await serve({ key: cert.keyPem, cert: cert.certPem });
    for (const cipher of RSA_CIPHERS) {
      for (const [sigalg, digest] of [['rsa_pss_pss_sha256', 'SHA256'], ['rsa_pss_pss_sha384', 'SHA384'], ['rsa_pss_pss_sha512', 'SHA512']] as const) {
        const r = await sClient(h.port, cert.certFile, ['-cipher', cipher, '-sigalgs', sigalg]);
        assertServed(r, cipher);
        assert.equal(r.peerSignatureType, 'RSA-PSS');
        assert.equal(r.peerSigningDigest, digest);
      }
    }
    const rsae = await sClient(h.port, undefined, ['-sigalgs', 'rsa_pss_rsae_sha256:rsa_pkcs1_sha256']);
    assert.deepEqual(rsae.alerts, ['handshake failure'], describeRun(rsae));
  });

  for (const [kind, sigalg] of [['ed25519', 'ed25519'], ['ed448', 'ed448']] as const) {
    it(`an ${kind} certificate: each ECDSA suite (RFC 8422), signed with ${sigalg}; a client without ${sigalg} is refused`, async () => {
      const cert = serverCertificate(kind);
      const h = await serve({ key: cert.keyPem, cert: cert.certPem });
      for (const cipher of ECDSA_CIPHERS) {
        const r = await sClient(h.port, cert.certFile, ['-cipher', cipher]);
        assertServed(r, cipher);
        assert.equal(r.peerSignatureType, sigalg);
        const restricted = await sClient(h.port, cert.certFile, ['-cipher', cipher, '-sigalgs', sigalg]);
        assertServed(restricted, cipher);
      }
      const r = await sClient(h.port, undefined, ['-sigalgs', 'ECDSA+SHA256:rsa_pss_rsae_sha256']);
      assert.deepEqual(r.alerts, ['handshake failure'], describeRun(r));
    });
  }

  describe('dual certificates (ECDSA P-256 and RSA-2048) on one server, beside openssl s_server -cert/-dcert', () => {
    /** The same clients against `openssl s_server` with the same two certificates. */
    let sServerPort = 0;
    let scratch: Scratch;
    let sServer: Awaited<ReturnType<typeof startSServer>> | undefined;
    let ecCertFile = '';

    before(async () => {
      scratch = new Scratch();
      const ec = testCertificate('P-256');
      ecCertFile = scratch.file(ec.certPem, 'pem');
      const ecKeyFile = scratch.file(ec.keyPem, 'pem');
      const rsa = serverCertificate('rsa2048');
      sServerPort = await freePort();
      sServer = await startSServer([
        '-accept', String(sServerPort), '-tls1_2', '-www',
        '-cert', rsa.certFile, '-key', rsa.keyFile, '-dcert', ecCertFile, '-dkey', ecKeyFile,
      ]);
    });

    after(async () => {
      await stop(sServer);
      scratch.dispose();
    });

    const cases = [
      { name: '-cipher ECDHE-RSA-AES128-GCM-SHA256 gets the RSA certificate', args: ['-cipher', 'ECDHE-RSA-AES128-GCM-SHA256'], keyType: 'RSA', bits: 2048 },
      { name: 'an ECDSA-only client (-sigalgs ECDSA+SHA256:ECDSA+SHA384) gets the ECDSA certificate', args: ['-sigalgs', 'ECDSA+SHA256:ECDSA+SHA384'], keyType: 'EC', bits: 256 },
      { name: '-cipher ECDSA (ECDSA suites only) gets the ECDSA certificate', args: ['-cipher', 'ECDSA'], keyType: 'EC', bits: 256 },
      { name: '-sigalgs rsa_pss_rsae_sha256 gets the RSA certificate', args: ['-sigalgs', 'rsa_pss_rsae_sha256'], keyType: 'RSA', bits: 2048 },
      { name: 's_client\'s defaults get the ECDSA certificate', args: [], keyType: 'EC', bits: 256 },
    ] as const;

    for (const c of cases) {
      it(c.name, async () => {
        const ec = testCertificate('P-256');
        const rsa = serverCertificate('rsa2048');
        // RSA first in the arrays: the configured order does not decide.
        const h = await serve({ key: [rsa.keyPem, ec.keyPem], cert: [rsa.certPem, ec.certPem] });
        const caFile = scratch.file(rsa.certPem + ec.certPem, 'pem');
        const r = await sClient(h.port, caFile, [...c.args]);
        assert.equal(r.code, 0, describeRun(r));
        assert.equal(r.serverPublicKeyBits, c.bits);
        assert.equal(h.seen[0]?.keyType, c.keyType);
        assert.equal(h.seen[0]?.cipher, r.cipher);
        // OpenSSL's own server picks the same certificate for the same client.
        const theirs = await runSClient(sServerPort, { args: ['-tls1_2', '-CAfile', caFile, '-verify_return_error', ...c.args] });
        assert.equal(theirs.code, 0, describeRun(theirs));
        assert.equal(theirs.serverPublicKeyBits, c.bits, 'openssl s_server chose the same key');
        assert.equal(theirs.peerSignatureType, r.peerSignatureType);
      });
    }
  });

  it('the demo CLI with three --key/--cert pairs (RSA-2048, Ed25519, ECDSA P-256): each client gets the certificate it accepts', async () => {
    const procs = new Processes();
    cleanups.push(() => procs.killAll());
    const rsa = serverCertificate('rsa2048');
    const ed = serverCertificate('ed25519');
    const scratch = new Scratch();
    cleanups.push(() => scratch.dispose());
    const ec = testCertificate('P-256');
    const ecKey = scratch.file(ec.keyPem, 'pem');
    const ecCert = scratch.file(ec.certPem, 'pem');
    const cli = procs.start(process.execPath, [CLI, '--port', '0', '--host', '127.0.0.1', '--key', rsa.keyFile, '--cert', rsa.certFile, '--key', ed.keyFile, '--cert', ed.certFile, '--key', ecKey, '--cert', ecCert], { killAfterMs: 120_000 });
    await cli.waitForOutput('puretls demo listening on');
    assert.match(cli.stdout(), /^certificate: RSA 2048 bits, CN localhost$/m);
    assert.match(cli.stdout(), /^certificate: Ed25519, CN localhost$/m);
    assert.match(cli.stdout(), /^certificate: ECDSA P-256, CN localhost$/m);
    const port = Number(/https:\/\/localhost:(\d+)\//.exec(cli.stdout())?.[1]);
    const page = async (args: string[]): Promise<string | undefined> => {
      const r = await runSClient(port, { args: ['-tls1_2', '-ign_eof', ...args], stdin: 'GET / HTTP/1.0\r\n\r\n' });
      assert.equal(r.code, 0, describeRun(r));
      return /<tr><th>Server certificate<\/th><td>([^<]*)<\/td><\/tr>/.exec(r.stdout.toString('latin1'))?.[1];
    };
    assert.equal(await page([]), 'ECDSA P-256, ecdsa_secp256r1_sha256');
    assert.equal(await page(['-sigalgs', 'ed25519:rsa_pkcs1_sha256']), 'Ed25519, ed25519');
    assert.equal(await page(['-sigalgs', 'rsa_pkcs1_sha512']), 'RSA 2048 bits, rsa_pkcs1_sha512');
    assert.equal(await page(['-cipher', 'aRSA']), 'RSA 2048 bits, rsa_pss_rsae_sha256');
    const mismatched = await procs.run(process.execPath, [CLI, '--port', '0', '--key', rsa.keyFile, '--cert', rsa.certFile, '--key', ed.keyFile]);
    assert.equal(mismatched.code, 1);
    assert.match(mismatched.stderr, /--key and --cert go together/);
  });

  describe('node:tls clients (OpenSSL through node, TLS 1.2-only and TLS 1.3-capable)', () => {
    /** A node:tls client trusting `ca`; resolves with what it saw once the server's line arrives. */
    async function nodeClient(port: number, options: tls.ConnectionOptions): Promise<{ cipher: string; bits: number | undefined; type: string | undefined; line: string }> {
      const socket = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ...options });
      cleanups.push(() => void socket.destroy());
      await once(socket, 'secureConnect');
      assert.equal(socket.authorized, true, String(socket.authorizationError));
      const [data] = (await once(socket, 'data')) as [Buffer];
      const peer = socket.getPeerX509Certificate()!;
      return { cipher: socket.getCipher().name, bits: peer.publicKey.asymmetricKeyDetails?.modulusLength, type: peer.publicKey.asymmetricKeyType, line: data.toString() };
    }

    it('RSA-2048: each RSA suite, with each of the six schemes as `sigalgs`, verified and authorized', async () => {
      const cert = serverCertificate('rsa2048');
      const h = await serve({ key: cert.keyPem, cert: cert.certPem });
      for (const cipher of RSA_CIPHERS) {
        for (const scheme of RSA_SCHEMES) {
          const seen = await nodeClient(h.port, { ca: cert.certPem, maxVersion: 'TLSv1.2', ciphers: cipher, sigalgs: scheme.sigalg });
          assert.equal(seen.cipher, cipher);
          assert.equal(seen.bits, 2048);
          assert.equal(seen.line, `served ${cipher}\n`);
        }
      }
      assert.deepEqual(h.errors, []);
    });

    it('dual certificates: a TLS 1.3-capable node client with defaults gets the ECDSA one; `ciphers: aRSA` the RSA one', async () => {
      const ec = testCertificate('P-256');
      const rsa = serverCertificate('rsa2048');
      const h = await serve({ key: [rsa.keyPem, ec.keyPem], cert: [rsa.certPem, ec.certPem] });
      const ca = rsa.certPem + ec.certPem;
      const modern = await nodeClient(h.port, { ca });
      assert.equal(modern.type, 'ec');
      assert.equal(modern.cipher, 'ECDHE-ECDSA-AES128-GCM-SHA256');
      const rsaOnly = await nodeClient(h.port, { ca, maxVersion: 'TLSv1.2', ciphers: 'aRSA' });
      assert.equal(rsaOnly.type, 'rsa');
      assert.equal(rsaOnly.cipher, 'ECDHE-RSA-AES128-GCM-SHA256');
    });

    it('Ed25519 and RSA-PSS certificates, verified and authorized', async () => {
      for (const [kind, type] of [['ed25519', 'ed25519'], ['rsa-pss', 'rsa-pss']] as const) {
        const cert = serverCertificate(kind);
        const h = await serve({ key: cert.keyPem, cert: cert.certPem });
        const seen = await nodeClient(h.port, { ca: cert.certPem });
        assert.equal(seen.type, type);
      }
    });
  });

  it('the opt-in node:crypto provider serves the same certificates: RSA-2048 (each RSA scheme), RSA-PSS, Ed25519, Ed448', async () => {
    for (const kind of ['rsa2048', 'rsa-pss', 'ed25519', 'ed448'] as const) {
      const cert = serverCertificate(kind);
      const h = await serve({ context: new TlsContext({ key: cert.keyPem, cert: cert.certPem, crypto: new NodeCryptoProvider() }) });
      const schemes = kind === 'rsa2048' ? RSA_SCHEMES.map((x) => x.sigalg) : [undefined];
      for (const sigalg of schemes) {
        const r = await sClient(h.port, cert.certFile, sigalg ? ['-sigalgs', sigalg] : []);
        assertServed(r, kind.startsWith('rsa') ? 'ECDHE-RSA-AES128-GCM-SHA256' : 'ECDHE-ECDSA-AES128-GCM-SHA256');
      }
      assert.deepEqual(h.errors, [], kind);
    }
  });

  describe('a corrupted RSA-CRT result is never sent', () => {
    /** The noble provider with RSA signers whose half-result mod q is corrupted while `faulty`. */
    class FaultyRsaProvider extends NobleCryptoProvider {
      faulty = true;
      faults = 0;
      override rsaSigningKey(key: RsaPrivateKeyParts): RsaSigningKey {
        return new RsaCrtSigner(key, (n) => this.randomBytes(n), {
          corrupt: (half, value) => {
            if (half !== 'q' || !this.faulty) return value;
            this.faults++;
            return value + 1n;
          },
        });
      }
    }

    it('s_client gets a fatal internal_error and no ServerHello; with the fault gone the next one is served and verifies', async () => {
      const crypto = new FaultyRsaProvider();
      const cert = serverCertificate('rsa2048');
      const context = new TlsContext({ key: cert.keyPem, cert: cert.certPem, crypto });
      const h = await serve({ context });
      const r = await sClient(h.port, undefined, ['-msg']);
      assert.notEqual(r.code, 0);
      assert.deepEqual(r.alerts, ['internal error'], describeRun(r));
      const wire = r.stdout.toString('latin1');
      assert.doesNotMatch(wire, /<<< TLS 1\.2, Handshake \[length [0-9a-f]+\], ServerHello/, 'no ServerHello reached the client');
      assert.doesNotMatch(wire, /ServerKeyExchange/);
      if (h.errors.length === 0) await once(h.running.server, 'tlsClientError');
      assert.equal(h.errors[0]?.reason, 'RSA_SIGNATURE_FAULT');
      assert.equal(h.errors[0]?.alert, AlertDescription.internal_error);
      assert.equal(crypto.faults, 1);
      crypto.faulty = false;
      assertServed(await sClient(h.port, cert.certFile, []), 'ECDHE-RSA-AES128-GCM-SHA256');
    });
  });
});
