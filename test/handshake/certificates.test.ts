/**
 * RSA and EdDSA server certificates, and several certificates on one context, in memory.
 * The scriptable client checks every ServerKeyExchange signature itself: ECDSA with noble,
 * RSA (PSS and PKCS#1 v1.5) and EdDSA with node:crypto (OpenSSL), against the public key
 * Node's X509Certificate reads from the leaf it received. Keys and certificates come from the
 * openssl CLI (test/helpers/server-certs.ts).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'mocha';
import { ServerConnection } from '../../src/connection.js';
import { TlsContext, type TlsContextOptions } from '../../src/context.js';
import { NobleCryptoProvider } from '../../src/crypto/noble.js';
import type { RsaPrivateKeyParts, RsaSigningKey } from '../../src/crypto/provider.js';
import { RsaCrtSigner } from '../../src/crypto/rsa.js';
import { AlertDescription as A, TlsConfigError } from '../../src/errors.js';
import { testCertificate } from '../helpers/fixtures.js';
import { serverCertificate, type ServerKeyKind } from '../helpers/server-certs.js';
import {
  ALL_GROUPS,
  ALL_SUITES,
  DEFAULT_SIGNATURE_ALGORITHMS,
  Group,
  RSA_SIGNATURE_ALGORITHMS,
  RSA_SUITES,
  Sig,
  Suite,
  TlsClient,
  concat,
  flipBit,
  hex,
  nodeSchemeVerify,
  type ClientOptions,
} from '../helpers/tls-client.js';
import { connect, connectOk, expectHelloRefused, exchangeData, plainAlert } from '../helpers/handshake-harness.js';

const contexts = new Map<string, TlsContext>();

/** A context serving the certificates of `kinds` (EC ones from fixtures.ts), made once per combination without options. */
function serving(kinds: ReadonlyArray<ServerKeyKind | 'P-256' | 'P-384'>, options: TlsContextOptions = {}): TlsContext {
  const key = (k: string): string => (k === 'P-256' || k === 'P-384' ? testCertificate(k).keyPem : serverCertificate(k as ServerKeyKind).keyPem);
  const cert = (k: string): string => (k === 'P-256' || k === 'P-384' ? testCertificate(k).certPem : serverCertificate(k as ServerKeyKind).certPem);
  const plain = Object.keys(options).length === 0;
  const name = kinds.join('+');
  if (plain && contexts.has(name)) return contexts.get(name)!;
  const context = new TlsContext({ key: kinds.map(key), cert: kinds.map(cert), ...options });
  if (plain) contexts.set(name, context);
  return context;
}

/** Every suite, every group, and these schemes: a client that could take any certificate. */
const ANY: ClientOptions = {
  cipherSuites: [...ALL_SUITES, ...RSA_SUITES],
  groups: [...ALL_GROUPS],
  signatureAlgorithms: [...DEFAULT_SIGNATURE_ALGORITHMS, Sig.ed25519, Sig.ed448, ...RSA_SIGNATURE_ALGORITHMS, Sig.rsa_pss_pss_sha256],
};

const RSA_SCHEMES = [
  ['rsa_pss_rsae_sha256', Sig.rsa_pss_rsae_sha256],
  ['rsa_pss_rsae_sha384', Sig.rsa_pss_rsae_sha384],
  ['rsa_pss_rsae_sha512', Sig.rsa_pss_rsae_sha512],
  ['rsa_pkcs1_sha256', Sig.rsa_pkcs1_sha256],
  ['rsa_pkcs1_sha384', Sig.rsa_pkcs1_sha384],
  ['rsa_pkcs1_sha512', Sig.rsa_pkcs1_sha512],
] as const;

const RSA_SUITE_NAMES = [
  ['ECDHE-RSA-AES128-GCM-SHA256', Suite.RSA_AES128_GCM],
  ['ECDHE-RSA-AES256-GCM-SHA384', Suite.RSA_AES256_GCM],
  ['ECDHE-RSA-CHACHA20-POLY1305', Suite.RSA_CHACHA20],
] as const;

/** The leaf the client received, as node reads it. */
const leafOf = (client: TlsClient): X509Certificate => new X509Certificate(client.serverCertificates[0]!);

/** The client checked the ServerKeyExchange signature; check it again here, and that a flipped bit fails, so the check can fail. */
function assertSignatureChecksOut(client: TlsClient): void {
  const ske = client.serverKeyExchange!;
  const signed = concat(client.clientRandom, client.serverHello!.random, ske.params);
  const key = leafOf(client).publicKey;
  assert.ok(nodeSchemeVerify(key, ske.signatureScheme, signed, ske.signature), 'node:crypto verifies the ServerKeyExchange signature');
  assert.equal(nodeSchemeVerify(key, ske.signatureScheme, signed, flipBit(ske.signature, 7)), false);
  assert.equal(nodeSchemeVerify(key, ske.signatureScheme, flipBit(signed, 70), ske.signature), false);
}

describe('server certificates: RSA, RSA-PSS, Ed25519, Ed448 (in memory)', function () {
  this.timeout(120_000);

  describe('RSA-2048 and RSA-4096: each RSA suite with each of the six schemes, offered with only rsa_pkcs1_sha1 beside it (never chosen)', () => {
    for (const kind of ['rsa2048', 'rsa4096'] as const) {
      for (const [suiteName, suite] of RSA_SUITE_NAMES) {
        for (const [schemeName, scheme] of RSA_SCHEMES) {
          it(`${kind}, ${suiteName}, ${schemeName}`, () => {
            const pair = connectOk(serving([kind]), { cipherSuites: [suite], signatureAlgorithms: [Sig.rsa_pkcs1_sha1, scheme] });
            const { client, server } = pair;
            assert.equal(client.serverHello!.cipherSuite, suite);
            assert.equal(client.serverKeyExchange!.signatureScheme, scheme);
            assert.equal(client.serverKeyExchange!.signature.length, kind === 'rsa2048' ? 256 : 512);
            assert.equal(server.negotiated!.certificate!.keyType, 'RSA');
            assert.equal(server.negotiated!.signatureScheme, scheme);
            assert.equal(server.cipher!.name, suiteName);
            assertSignatureChecksOut(client);
            exchangeData(pair);
          });
        }
      }
    }
  });

  describe('the RSA scheme chosen (RFC 9155: never SHA-1)', () => {
    it('PSS before PKCS#1 v1.5, SHA-256 first, whatever the client order', () => {
      const chosen = (offered: number[]): number =>
        connectOk(serving(['rsa2048']), { cipherSuites: RSA_SUITES, signatureAlgorithms: offered }).client.serverKeyExchange!.signatureScheme;
      assert.equal(chosen([...RSA_SIGNATURE_ALGORITHMS].reverse()), Sig.rsa_pss_rsae_sha256);
      assert.equal(chosen([Sig.rsa_pkcs1_sha256, Sig.rsa_pss_rsae_sha512]), Sig.rsa_pss_rsae_sha512);
      assert.equal(chosen([Sig.rsa_pkcs1_sha512, Sig.rsa_pkcs1_sha384, Sig.rsa_pkcs1_sha1]), Sig.rsa_pkcs1_sha384);
      // What OpenSSL 3.0's s_client offers, in its order.
      assert.equal(chosen([0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x0809, 0x080a, 0x080b, 0x0804, 0x0805, 0x0806, 0x0401, 0x0501, 0x0601]), Sig.rsa_pss_rsae_sha256);
    });

    it('no RSA scheme in common, rsa_pkcs1_sha1 alone, PSS-with-PSS-key schemes alone, no signature_algorithms: handshake_failure', () => {
      const context = serving(['rsa2048']);
      for (const offered of [[Sig.ecdsa_secp256r1_sha256, Sig.ed25519], [Sig.rsa_pkcs1_sha1], [Sig.rsa_pss_pss_sha256, Sig.rsa_pss_pss_sha384]]) {
        const server = expectHelloRefused(context, { cipherSuites: RSA_SUITES, signatureAlgorithms: offered }, A.handshake_failure, 'ERR_NO_SHARED_SIGALG');
        assert.match(server.error!.message, /RSA key's signature schemes \(rsa_pss_rsae_sha256, .*rsa_pkcs1_sha512\)/);
      }
      const none = expectHelloRefused(context, { cipherSuites: RSA_SUITES, signatureAlgorithms: null }, A.handshake_failure, 'ERR_NO_SHARED_SIGALG');
      assert.match(none.error!.message, /RFC 9155/);
      connectOk(context, { cipherSuites: RSA_SUITES, signatureAlgorithms: RSA_SIGNATURE_ALGORITHMS });
    });

    it('an id-RSASSA-PSS key signs with rsa_pss_pss_* only (RFC 8446 §4.2.3)', () => {
      const context = serving(['rsa-pss']);
      for (const scheme of [Sig.rsa_pss_pss_sha256, Sig.rsa_pss_pss_sha384, Sig.rsa_pss_pss_sha512]) {
        const { client, server } = connectOk(context, { cipherSuites: RSA_SUITES, signatureAlgorithms: [...RSA_SIGNATURE_ALGORITHMS, scheme] });
        assert.equal(client.serverKeyExchange!.signatureScheme, scheme);
        assert.equal(server.negotiated!.certificate!.keyType, 'RSA-PSS');
        assert.equal(leafOf(client).publicKey.asymmetricKeyType, 'rsa-pss');
        assertSignatureChecksOut(client);
      }
      expectHelloRefused(context, { cipherSuites: RSA_SUITES, signatureAlgorithms: RSA_SIGNATURE_ALGORITHMS }, A.handshake_failure, 'ERR_NO_SHARED_SIGALG');
    });

    it('an RSA certificate and a client offering ECDSA suites only: no shared cipher', () => {
      expectHelloRefused(serving(['rsa2048']), { cipherSuites: ALL_SUITES, signatureAlgorithms: RSA_SIGNATURE_ALGORITHMS }, A.handshake_failure, 'ERR_NO_SHARED_CIPHER');
    });
  });

  describe('EdDSA certificates go with the ECDSA suites (RFC 8422 §5.1.3)', () => {
    for (const [kind, scheme] of [['ed25519', Sig.ed25519], ['ed448', Sig.ed448]] as const) {
      it(`${kind}: every ECDSA suite, signed with ${kind} (0x${scheme.toString(16)}); refused without it, or with RSA suites only`, () => {
        const context = serving([kind]);
        for (const suite of ALL_SUITES) {
          const pair = connectOk(context, { cipherSuites: [suite], signatureAlgorithms: [Sig.ecdsa_secp256r1_sha256, scheme] });
          assert.equal(pair.client.serverKeyExchange!.signatureScheme, scheme);
          assert.equal(pair.server.negotiated!.certificate!.keyType, kind === 'ed25519' ? 'Ed25519' : 'Ed448');
          assertSignatureChecksOut(pair.client);
          exchangeData(pair);
        }
        expectHelloRefused(context, { signatureAlgorithms: DEFAULT_SIGNATURE_ALGORITHMS }, A.handshake_failure, 'ERR_NO_SHARED_SIGALG');
        expectHelloRefused(context, { cipherSuites: RSA_SUITES, signatureAlgorithms: [scheme] }, A.handshake_failure, 'ERR_NO_SHARED_CIPHER');
        // supported_groups has nothing to say about an EdDSA certificate (RFC 8422 §5.1 bounds ECDSA curves only).
        connectOk(context, { groups: [Group.x25519], signatureAlgorithms: [scheme] });
      });
    }
  });

  describe('several certificates on one context: chosen per client (ECDSA first, then EdDSA, then RSA)', () => {
    const dual = (): TlsContext => serving(['rsa2048', 'P-256']); // RSA configured first: the order given does not decide

    it('a client that takes anything gets the ECDSA certificate; an RSA-suites-only client the RSA one', () => {
      const any = connectOk(dual(), ANY);
      assert.equal(any.server.negotiated!.certificate!.keyType, 'EC');
      assert.equal(any.client.serverHello!.cipherSuite, Suite.AES128_GCM);
      assert.equal(leafOf(any.client).publicKey.asymmetricKeyType, 'ec');
      const rsa = connectOk(dual(), { ...ANY, cipherSuites: [Suite.RSA_AES128_GCM] });
      assert.equal(rsa.server.negotiated!.certificate!.keyType, 'RSA');
      assert.equal(leafOf(rsa.client).publicKey.asymmetricKeyType, 'rsa');
      assert.equal(rsa.client.serverKeyExchange!.signatureScheme, Sig.rsa_pss_rsae_sha256);
      assertSignatureChecksOut(rsa.client);
    });

    it('an ECDSA-only client (the default test client) gets the ECDSA certificate', () => {
      const { client, server } = connectOk(dual());
      assert.equal(server.negotiated!.certificate!.keyType, 'EC');
      assert.equal(client.serverKeyExchange!.signatureScheme, Sig.ecdsa_secp256r1_sha256);
    });

    it('signature_algorithms with RSA schemes only, or supported_groups without the ECDSA curve: the RSA certificate', () => {
      const bySigalgs = connectOk(dual(), { ...ANY, signatureAlgorithms: [Sig.rsa_pss_rsae_sha256] });
      assert.equal(bySigalgs.server.negotiated!.certificate!.keyType, 'RSA');
      assert.equal(bySigalgs.client.serverHello!.cipherSuite, Suite.RSA_AES128_GCM);
      const byGroups = connectOk(serving(['P-384', 'rsa2048']), { ...ANY, groups: [Group.x25519, Group.secp256r1] });
      assert.equal(byGroups.server.negotiated!.certificate!.keyType, 'RSA');
    });

    it('honorCipherOrder false (clientCipherPreference): the client\'s first suite decides the kind, as OpenSSL', () => {
      const context = serving(['rsa2048', 'P-256'], { clientCipherPreference: true });
      const rsaFirst = connectOk(context, { ...ANY, cipherSuites: [Suite.RSA_CHACHA20, Suite.AES128_GCM] });
      assert.equal(rsaFirst.server.negotiated!.certificate!.keyType, 'RSA');
      assert.equal(rsaFirst.client.serverHello!.cipherSuite, Suite.RSA_CHACHA20);
      const ecFirst = connectOk(context, { ...ANY, cipherSuites: [Suite.CHACHA20, Suite.RSA_AES128_GCM] });
      assert.equal(ecFirst.server.negotiated!.certificate!.keyType, 'EC');
    });

    it('a `ciphers` list with RSA suites first prefers the RSA certificate (server order decides, as OpenSSL)', () => {
      const context = serving(['rsa2048', 'P-256'], { ciphers: 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256' });
      const { client, server } = connectOk(context, ANY);
      assert.equal(server.negotiated!.certificate!.keyType, 'RSA');
      assert.equal(client.serverHello!.cipherSuite, Suite.RSA_AES256_GCM);
    });

    it('EC, Ed25519 and RSA together: each client gets the first it accepts', () => {
      const context = serving(['rsa2048', 'ed25519', 'P-256']);
      const kind = (o: ClientOptions): string => connectOk(context, o).server.negotiated!.certificate!.keyType;
      assert.equal(kind(ANY), 'EC');
      assert.equal(kind({ ...ANY, signatureAlgorithms: [Sig.ed25519, ...RSA_SIGNATURE_ALGORITHMS] }), 'Ed25519');
      assert.equal(kind({ ...ANY, signatureAlgorithms: [Sig.ed448, ...RSA_SIGNATURE_ALGORITHMS] }), 'RSA');
      assert.equal(kind({ ...ANY, groups: [Group.x25519], signatureAlgorithms: [Sig.ecdsa_secp256r1_sha256, Sig.ed25519] }), 'Ed25519');
    });

    it('nothing fits: the reason of the most preferred certificate the client could have had', () => {
      // The ECDSA certificate is refused for its curve, the RSA one for its schemes: the first reason is given.
      const both = serving(['P-384', 'rsa2048']);
      expectHelloRefused(both, { ...ANY, groups: [Group.x25519], signatureAlgorithms: [Sig.ecdsa_secp256r1_sha256] }, A.handshake_failure, 'ERR_NO_SHARED_GROUP');
      expectHelloRefused(both, { ...ANY, cipherSuites: [0x009c, 0x1301] }, A.handshake_failure, 'ERR_NO_SHARED_CIPHER');
    });

    it('a resumed session needs no certificate: negotiated.certificate is undefined, the suite is the session\'s', () => {
      const context = serving(['rsa2048', 'P-256'], { sessionIdContext: 'dual' });
      const first = connectOk(context, { ...ANY, cipherSuites: RSA_SUITES });
      const again = connectOk(context, { ...ANY, cipherSuites: RSA_SUITES, resume: first.client.session! });
      assert.equal(again.client.resumed, true);
      assert.equal(again.server.negotiated!.certificate, undefined);
      assert.equal(again.server.cipher!.name, 'ECDHE-RSA-AES128-GCM-SHA256');
    });
  });

  describe('TlsContext: keys and chains paired by their public keys (node:tls arrays)', () => {
    const rsa = serverCertificate('rsa2048');
    const ec = testCertificate('P-256');
    const ed = serverCertificate('ed25519');

    it('keys and chains in any order; `certificate` is the first chain\'s; each chain keeps its order', () => {
      const context = new TlsContext({ key: [ed.keyPem, ec.keyPem, rsa.keyPem], cert: [rsa.certPem, ed.certPem, ec.certPem] });
      assert.deepEqual(context.certificates.map((c) => c.keyType), ['RSA', 'Ed25519', 'EC']);
      assert.equal(context.certificate, context.certificates[0]);
      assert.equal(context.certificate!.rsaBits, 2048);
      assert.deepEqual(new TlsContext({ key: ec.keyPem, cert: ec.certPem }).certificates.map((c) => c.curve), ['P-256']);
    });

    it('a key without its chain, a chain without its key, a key that fits no chain: ERR_KEY_CERT_MISMATCH; a 1024-bit RSA key: ERR_UNSUPPORTED_KEY', () => {
      const refused = (options: TlsContextOptions, code: string, message: RegExp): void => {
        assert.throws(() => new TlsContext(options), (e: unknown) => e instanceof TlsConfigError && e.reason === code && message.test(e.message));
      };
      refused({ key: [rsa.keyPem, ec.keyPem], cert: [rsa.certPem] }, 'ERR_KEY_CERT_MISMATCH', /private key 2 of 2 matches no certificate/);
      refused({ key: [rsa.keyPem], cert: [rsa.certPem, ec.certPem] }, 'ERR_KEY_CERT_MISMATCH', /no private key matches the first certificate of chain 2 of 2/);
      refused({ key: ed.keyPem, cert: rsa.certPem }, 'ERR_KEY_CERT_MISMATCH', /does not match the first certificate/);
      refused({ key: [], cert: [rsa.certPem] }, 'ERR_MISSING_CERTIFICATE', /key and cert/);
      const small = execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024']).toString();
      refused({ key: [ec.keyPem, small], cert: [ec.certPem, rsa.certPem] }, 'ERR_UNSUPPORTED_KEY', /RSA keys of 1024 bits are not supported/);
    });
  });

  describe('a corrupted CRT result is never sent (fault injection through the CryptoProvider)', () => {
    /** The noble provider, except that RSA signers corrupt the half-result mod p while `faulty` says so. */
    class FaultyRsaProvider extends NobleCryptoProvider {
      faults = 0;
      faulty = true;
      override rsaSigningKey(key: RsaPrivateKeyParts): RsaSigningKey {
        return new RsaCrtSigner(key, (n) => this.randomBytes(n), {
          corrupt: (half, value) => {
            if (half !== 'p' || !this.faulty) return value;
            this.faults++;
            return value ^ 1n;
          },
        });
      }
    }

    for (const kind of ['rsa2048', 'rsa4096'] as const) {
      it(`${kind}: the flight is not sent, only a fatal internal_error; once the fault is gone the next client is served`, () => {
        const crypto = new FaultyRsaProvider();
        const c = serverCertificate(kind);
        const context = new TlsContext({ key: c.keyPem, cert: c.certPem, crypto });
        const client = new TlsClient({ cipherSuites: RSA_SUITES, signatureAlgorithms: RSA_SIGNATURE_ALGORITHMS });
        const server = new ServerConnection(context);
        server.receive(client.start());
        assert.equal(crypto.faults, 1, 'the private operation ran once, with the fault');
        // Not a byte of ServerHello, Certificate or ServerKeyExchange: the alert alone, in clear.
        assert.equal(hex(server.takeOutput()!), plainAlert(A.internal_error));
        assert.equal(server.error?.reason, 'RSA_SIGNATURE_FAULT');
        assert.ok(server.closed);
        crypto.faulty = false;
        const pair = connectOk(context, { cipherSuites: RSA_SUITES, signatureAlgorithms: RSA_SIGNATURE_ALGORITHMS });
        assertSignatureChecksOut(pair.client);
      });
    }

    it('the same with several certificates: an ECDSA client is still served while RSA signing faults', () => {
      const crypto = new FaultyRsaProvider();
      const context = new TlsContext({ key: [serverCertificate('rsa2048').keyPem, testCertificate().keyPem], cert: [serverCertificate('rsa2048').certPem, testCertificate().certPem], crypto });
      const refused = connect(context, { cipherSuites: RSA_SUITES, signatureAlgorithms: RSA_SIGNATURE_ALGORITHMS });
      assert.equal(refused.client.fatalAlert, A.internal_error);
      assert.equal(refused.client.serverHello, undefined, 'no ServerHello reached the client');
      connectOk(context);
      assert.equal(crypto.faults, 1);
    });
  });
});
