import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { after, before, describe, it } from 'mocha';
import { TlsConfigError } from '../../src/errors.js';
import { keyMatchesCertificate, loadCertificateChain, parseCertificate } from '../../src/pki/certificate.js';
import { loadPrivateKey } from '../../src/pki/keys.js';
import { createSelfSignedCertificate } from '../../src/pki/self-signed.js';

const dir = mkdtempSync(join(tmpdir(), 'puretls-selfsigned-'));
function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString('utf8');
}

/** Connects a node:tls client to a node:tls server using the certificate; resolves with the client's verdict. */
async function handshake(keyPem: string, certPem: string, client: tls.ConnectionOptions): Promise<{ authorized: boolean; error?: string }> {
  const server = tls.createServer({ key: keyPem, cert: certPem }, (socket) => socket.end('hello'));
  server.on('tlsClientError', () => {}); // the client hanging up on a bad certificate is expected in some cases
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    return await new Promise((resolve) => {
      const socket = tls.connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1', ca: certPem, ...client }, () => {
        let data = '';
        socket.setEncoding('utf8');
        socket.on('data', (d: string) => (data += d));
        socket.on('end', () => resolve({ authorized: socket.authorized && data === 'hello' }));
      });
      socket.on('error', (e: NodeJS.ErrnoException) => resolve({ authorized: false, error: e.code ?? e.message }));
    });
  } finally {
    server.close();
  }
}

for (const curve of ['P-256', 'P-384'] as const) {
  const hash = curve === 'P-256' ? 'SHA256' : 'SHA384';

  describe(`pki/self-signed: createSelfSignedCertificate (${curve})`, () => {
    let made: ReturnType<typeof createSelfSignedCertificate>;
    let certFile: string;
    let keyFile: string;
    before(() => {
      made = createSelfSignedCertificate({ curve });
      certFile = join(dir, `${curve}.crt`);
      keyFile = join(dir, `${curve}.key`);
      writeFileSync(certFile, made.certPem);
      writeFileSync(keyFile, made.keyPem);
    });

    it(`openssl reads it: v3, ecdsa-with-${hash}, CN and SANs, end-entity extensions`, () => {
      const text = openssl('x509', '-in', certFile, '-noout', '-text');
      assert.match(text, /Version: 3 \(0x2\)/);
      assert.match(text, new RegExp(`Signature Algorithm: ecdsa-with-${hash}`));
      assert.match(text, new RegExp(`NIST CURVE: ${curve}`));
      assert.match(text, /Subject: CN = localhost/);
      assert.match(text, /Issuer: CN = localhost/);
      assert.match(text, /X509v3 Subject Alternative Name: \n\s+DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1\n/);
      assert.match(text, /X509v3 Basic Constraints: critical\n\s+CA:FALSE/);
      assert.match(text, /X509v3 Key Usage: critical\n\s+Digital Signature\n/);
      assert.match(text, /X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication, TLS Web Client Authentication/);
      const ski = /X509v3 Subject Key Identifier: \n\s+([0-9A-F:]+)/.exec(text)![1];
      assert.equal(ski!.length, 59); // 20 bytes
      assert.match(text, new RegExp(`X509v3 Authority Key Identifier: \\n\\s+(keyid:)?${ski}`));
    });

    it('has a positive 16-byte serial, fresh each time', () => {
      const serial = (pem: string): string => {
        writeFileSync(join(dir, 'serial.crt'), pem);
        return /serial=([0-9A-F]+)/.exec(openssl('x509', '-in', join(dir, 'serial.crt'), '-noout', '-serial'))![1]!;
      };
      const a = serial(made.certPem);
      assert.equal(a.length, 32);
      assert.ok(parseInt(a[0]!, 16) < 8, 'positive: top bit clear');
      assert.notEqual(serial(createSelfSignedCertificate({ curve }).certPem), a);
    });

    it('`openssl verify -CAfile c.pem c.pem` says OK, also with -x509_strict -purpose sslserver', () => {
      assert.equal(openssl('verify', '-CAfile', certFile, certFile).trim(), `${certFile}: OK`);
      assert.equal(openssl('verify', '-x509_strict', '-purpose', 'sslserver', '-CAfile', certFile, certFile).trim(), `${certFile}: OK`);
    });

    it('certificate and key carry the same public key, for openssl and Node', () => {
      assert.equal(openssl('x509', '-in', certFile, '-noout', '-pubkey'), openssl('pkey', '-in', keyFile, '-pubout'));
      openssl('pkey', '-in', keyFile, '-noout');
      assert.equal(new X509Certificate(made.certPem).checkPrivateKey(createPrivateKey(made.keyPem)), true);
      assert.equal(createPrivateKey(made.keyPem).asymmetricKeyDetails?.namedCurve, curve === 'P-256' ? 'prime256v1' : 'secp384r1');
    });

    it('round-trips through loadPrivateKey / loadCertificateChain / parseCertificate', () => {
      assert.deepEqual(loadPrivateKey(made.keyPem), made.key);
      const [der] = loadCertificateChain(made.certPem);
      assert.deepEqual(der, made.certDer);
      const info = parseCertificate(made.certDer);
      assert.equal(info.publicKeyCurve, curve);
      assert.equal(info.subjectCommonName, 'localhost');
      assert.deepEqual(info.altNames, ['localhost', '127.0.0.1', '::1']);
      assert.equal(info.notAfter.getTime() - info.notBefore.getTime(), 365 * 86400_000);
      assert.ok(Math.abs(info.notBefore.getTime() - Date.now()) < 60_000);
      assert.equal(keyMatchesCertificate(made.key, info), true);
    });

    it('a node:tls server with it is accepted by a node:tls client trusting it (servername localhost)', async () => {
      assert.deepEqual(await handshake(made.keyPem, made.certPem, { servername: 'localhost' }), { authorized: true });
    });

    it('the IP SANs work too (connecting to 127.0.0.1 by address)', async () => {
      assert.deepEqual(await handshake(made.keyPem, made.certPem, {}), { authorized: true });
    });

    it('a name not in the SANs is refused by the client', async () => {
      const result = await handshake(made.keyPem, made.certPem, { servername: 'example.com' });
      assert.deepEqual(result, { authorized: false, error: 'ERR_TLS_CERT_ALTNAME_INVALID' });
    });

    it('a client that does not trust it refuses it', async () => {
      const other = createSelfSignedCertificate({ curve });
      const result = await handshake(made.keyPem, made.certPem, { servername: 'localhost', ca: other.certPem });
      assert.equal(result.authorized, false);
      assert.match(result.error!, /SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/);
    });
  });
}

describe('pki/self-signed: options', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('uses commonName, altNames (DNS, wildcard, IPv4, IPv6), days and now', () => {
    const now = new Date(Date.UTC(2049, 11, 31, 23, 59, 30, 999));
    const made = createSelfSignedCertificate({
      commonName: 'Zürich test',
      altNames: ['example.test', '*.example.test', '10.0.0.1', '2001:db8::1', 'fe80::1:0:0:1', '::ffff:192.0.2.1', '1:2:3:4:5:6:7:8'],
      days: 7,
      curve: 'P-384',
      now,
    });
    const info = parseCertificate(made.certDer);
    assert.equal(info.subjectCommonName, 'Zürich test');
    assert.deepEqual(info.altNames, ['example.test', '*.example.test', '10.0.0.1', '2001:db8::1', 'fe80::1:0:0:1', '::ffff:192.0.2.1', '1:2:3:4:5:6:7:8']);
    assert.deepEqual(info.notBefore, new Date(Date.UTC(2049, 11, 31, 23, 59, 30)));
    assert.deepEqual(info.notAfter, new Date(Date.UTC(2050, 0, 7, 23, 59, 30)));
    const file = join(dir, 'options.crt');
    writeFileSync(file, made.certPem);
    const text = openssl('x509', '-in', file, '-noout', '-text', '-nameopt', 'utf8');
    assert.match(text, /Not Before: Dec 31 23:59:30 2049 GMT/); // UTCTime
    assert.match(text, /Not After : Jan  7 23:59:30 2050 GMT/); // GeneralizedTime
    assert.match(text, /Subject: CN ?= ?Zürich test\n/);
    assert.match(text, /DNS:example\.test, DNS:\*\.example\.test, IP Address:10\.0\.0\.1, IP Address:2001:DB8:0:0:0:0:0:1, IP Address:FE80:0:0:0:1:0:0:1, IP Address:0:0:0:0:0:FFFF:C000:201, IP Address:1:2:3:4:5:6:7:8\n/);
    assert.match(text, /ecdsa-with-SHA384/);
    // Expired-or-not aside, the signature must verify: -no_check_time.
    assert.equal(openssl('verify', '-no_check_time', '-CAfile', file, file).trim(), `${file}: OK`);
  });

  it('a commonName without altNames makes the SAN that commonName', () => {
    const info = parseCertificate(createSelfSignedCertificate({ commonName: 'api.example.test' }).certDer);
    assert.deepEqual(info.altNames, ['api.example.test']);
  });

  it('altNames [] leaves out the subjectAltName extension', () => {
    const made = createSelfSignedCertificate({ altNames: [] });
    assert.deepEqual(parseCertificate(made.certDer).altNames, []);
    const file = join(dir, 'nosan.crt');
    writeFileSync(file, made.certPem);
    assert.doesNotMatch(openssl('x509', '-in', file, '-noout', '-text'), /Subject Alternative Name/);
  });

  it('rejects bad options with TlsConfigError', () => {
    const bad = [
      { altNames: ['exa mple.com'] },
      { altNames: ['bücher.example'] },
      { altNames: [''] },
      { altNames: ['1:2:3'] },
      { altNames: ['1::2::3'] },
      { altNames: ['1.2.3.4::'] },
      { altNames: ['::12345'] },
      { altNames: ['1:2:3:4:5:6:7:8:9'] },
      { altNames: ['fe80::1%eth0'] },
      { commonName: '' },
      { days: 0 },
      { days: Number.NaN },
      { now: new Date(Number.NaN) },
      { now: new Date(Date.UTC(1900, 0, 1)) },
      { curve: 'P-521' as 'P-256' },
    ];
    for (const opts of bad) {
      assert.throws(() => createSelfSignedCertificate(opts), (e: unknown) => e instanceof TlsConfigError, JSON.stringify(opts));
    }
  });
});
