import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { before, describe, it } from 'mocha';
import { TlsConfigError } from '../../src/errors.js';
import type { ServerOptions } from '../../src/node/options.js';
import { createServer, Server } from '../../src/node/server.js';
import { createSelfSignedCertificate } from '../../src/pki/index.js';
import { testCertificate } from '../helpers/fixtures.js';
import { rsaKeyAndCertificate } from '../helpers/openssl.js';

/** createServer must throw a TlsConfigError with this code, and a message that says what is wrong. */
function assertRefused(options: ServerOptions, code: string, message: RegExp): void {
  assert.throws(
    () => createServer(options),
    (e: unknown) => {
      assert.ok(e instanceof TlsConfigError, `expected a TlsConfigError, got ${String(e)}`);
      assert.equal(e.reason, code);
      assert.match(e.message, message);
      return true;
    },
  );
}

describe('node: createServer option validation', () => {
  const cert = testCertificate('P-256');
  const base = { key: cert.keyPem, cert: cert.certPem };
  let rsa: { keyPem: string; certPem: string };

  before(function () {
    this.timeout(30_000);
    rsa = rsaKeyAndCertificate();
  });

  it('accepts the node:tls options it implements (and builds a net.Server)', () => {
    const server = createServer({
      ...base,
      ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256',
      ecdhCurve: 'X25519:P-256',
      honorCipherOrder: false,
      ALPNProtocols: ['h2', 'http/1.1'],
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
      handshakeTimeout: 5000,
      sessionIdContext: 'my-app',
      sessionTimeout: 600,
      allowHalfOpen: true,
    });
    assert.ok(server instanceof Server);
    assert.deepEqual(
      server.context.cipherSuites.map((s) => s.opensslName),
      ['ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-ECDSA-AES128-GCM-SHA256'],
    );
    assert.deepEqual(server.context.alpnProtocols, ['h2', 'http/1.1']);
    assert.equal(server.context.clientCipherPreference, true);
    assert.equal(server.context.sessionTimeout, 600);
    assert.equal(Buffer.from(server.context.sessionIdContext).toString(), 'my-app');
  });

  it('ALPNProtocols as a wire-format Buffer is read like node:tls reads it', () => {
    const wire = Buffer.concat([Buffer.from([2]), Buffer.from('h2'), Buffer.from([8]), Buffer.from('http/1.1')]);
    assert.deepEqual(createServer({ ...base, ALPNProtocols: wire }).context.alpnProtocols, ['h2', 'http/1.1']);
    assertRefused({ ...base, ALPNProtocols: Buffer.from([5, 0x68, 0x32]) }, 'ERR_INVALID_ARG_VALUE', /ALPNProtocols/);
  });

  it('an unknown option', () => {
    assertRefused({ ...base, ...({ notAnOption: 1 } as object) }, 'ERR_UNSUPPORTED_OPTION', /'notAnOption' is not supported/);
  });

  it("minVersion or maxVersion other than 'TLSv1.2'", () => {
    assertRefused({ ...base, minVersion: 'TLSv1.3' }, 'ERR_TLS_INVALID_PROTOCOL_VERSION', /minVersion 'TLSv1\.3'.*TLSv1\.2 only/);
    assertRefused({ ...base, maxVersion: 'TLSv1.3' }, 'ERR_TLS_INVALID_PROTOCOL_VERSION', /maxVersion 'TLSv1\.3'/);
    assertRefused({ ...base, minVersion: 'TLSv1.1' }, 'ERR_TLS_INVALID_PROTOCOL_VERSION', /minVersion 'TLSv1\.1'/);
  });

  it("ecdhCurve: 'P-521'", () => {
    assertRefused({ ...base, ecdhCurve: 'P-521' }, 'ERR_INVALID_GROUP', /"P-521".*X25519, P-256, P-384/);
    assertRefused({ ...base, ecdhCurve: 'X25519:P-521' }, 'ERR_INVALID_GROUP', /"P-521"/);
  });

  it("ciphers: 'AES128-SHA' (nothing we support)", () => {
    assertRefused({ ...base, ciphers: 'AES128-SHA' }, 'ERR_NO_CIPHER_MATCH', /"AES128-SHA".*ECDHE-ECDSA-AES128-GCM-SHA256/);
    assertRefused({ ...base, ciphers: 'AES128-SHA:!ECDHE-ECDSA-AES128-GCM-SHA256' }, 'ERR_NO_CIPHER_MATCH', /AES128-SHA/);
  });

  it('an RSA key and certificate are served; a 1024-bit one is refused', () => {
    const server = createServer({ key: rsa.keyPem, cert: rsa.certPem });
    assert.deepEqual(server.context.certificates.map((c) => [c.keyType, c.rsaBits]), [['RSA', 2048]]);
    const small = execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024']).toString();
    assertRefused({ key: small, cert: rsa.certPem }, 'ERR_UNSUPPORTED_KEY', /RSA keys of 1024 bits are not supported/);
  });

  it("`key` and `cert` arrays as node:tls takes them: PEMs or { pem, passphrase } objects, paired by public key", () => {
    const server = createServer({ key: [Buffer.from(rsa.keyPem), { pem: cert.keyPem, passphrase: 'unused' }], cert: [cert.certPem, Buffer.from(rsa.certPem)] });
    assert.deepEqual(server.context.certificates.map((c) => c.keyType), ['EC', 'RSA']);
    assertRefused({ key: [rsa.keyPem], cert: [rsa.certPem, cert.certPem] }, 'ERR_KEY_CERT_MISMATCH', /chain 2 of 2/);
    assertRefused({ key: [rsa.keyPem, cert.keyPem], cert: [rsa.certPem] }, 'ERR_KEY_CERT_MISMATCH', /private key 2 of 2/);
    assertRefused({ ...base, key: [{ pem: 42 } as unknown as string] }, 'ERR_INVALID_ARG_VALUE', /key\[\]\.pem/);
    assertRefused({ ...base, cert: [{ pem: cert.certPem } as unknown as string] }, 'ERR_INVALID_ARG_VALUE', /cert must be a PEM/);
    // A passphrase cannot help: puretls loads unencrypted keys only (and says so).
    const encrypted = execFileSync('openssl', ['pkey', '-aes256', '-passout', 'pass:secret'], { input: cert.keyPem }).toString();
    assertRefused({ ...base, key: [{ pem: encrypted, passphrase: 'secret' }] }, 'ERR_UNSUPPORTED_KEY', /encrypted private keys are not supported/);
  });

  it('a key that does not match the certificate', () => {
    const other = createSelfSignedCertificate({ curve: 'P-256' });
    assertRefused({ key: cert.keyPem, cert: other.certPem }, 'ERR_KEY_CERT_MISMATCH', /does not match/);
    const p384 = testCertificate('P-384');
    assertRefused({ key: p384.keyPem, cert: cert.certPem }, 'ERR_KEY_CERT_MISMATCH', /does not match/);
  });

  it('maxCertificateChain: a whole number of certificates, at least 1', () => {
    const server = createServer({ ...base, maxCertificateChain: 3 });
    assert.ok(server instanceof Server);
    for (const bad of [0, -2, 2.5]) assertRefused({ ...base, maxCertificateChain: bad }, 'ERR_INVALID_ARG', /maxCertificateChain/);
  });

  it('a key without a certificate, and malformed numbers', () => {
    assertRefused({ key: cert.keyPem }, 'ERR_MISSING_CERTIFICATE', /key and cert/);
    assertRefused({ ...base, handshakeTimeout: -1 }, 'ERR_INVALID_ARG_VALUE', /handshakeTimeout/);
    assertRefused({ ...base, sessionTimeout: -5 }, 'ERR_OUT_OF_RANGE', /sessionTimeout/);
  });
});
