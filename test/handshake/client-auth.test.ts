/**
 * Client authentication in memory (sans-IO): the scriptable test client answers the
 * CertificateRequest with chains made by the openssl CLI (test/helpers/client-certs.ts) and
 * signs CertificateVerify with noble (ECDSA) or node:crypto (RSA, RSA-PSS, Ed25519); every
 * message can also be sent out of turn.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { sha256, sha384 } from '@noble/hashes/sha2.js';
import { describe, it } from 'mocha';
import { ServerConnection } from '../../src/connection.js';
import type { TlsContextOptions } from '../../src/context.js';
import { NobleCryptoProvider } from '../../src/crypto/noble.js';
import { AlertDescription as A } from '../../src/errors.js';
import { prf } from '../../src/handshake/key-schedule.js';
import { MemorySessionCache } from '../../src/session/memory-cache.js';
import { DEFAULT_MAX_CERTIFICATE_CHAIN, DEFAULT_SIGNATURE_BUDGET } from '../../src/pki/verify.js';
import { privateKeyToPem } from '../../src/pki/keys.js';
import { buildChain, type BuiltCertificate, type BuiltChain } from '../helpers/cert-builder.js';
import { clientCerts, derToPem, type ClientCert } from '../helpers/client-certs.js';
import { OpensslCa } from '../helpers/openssl-ca.js';
import { RecordingCrypto } from '../helpers/recording-crypto.js';
import { HandshakeType, Sig, Suite, TlsClient, bytesEqual, concat, hex, type ClientOptions } from '../helpers/tls-client.js';

import { makeContext, plainAlert } from '../helpers/handshake-harness.js';
import { handshakeInMemory, drive } from '../helpers/in-memory.js';

const crypto = new NobleCryptoProvider();

/** A requestCert context trusting the test root (no tickets, unless asked). */
function authContext(options: TlsContextOptions = {}): ReturnType<typeof makeContext> {
  return makeContext({ requestCert: true, ca: clientCerts().root.pem, sessionIdContext: 'client-auth', tickets: false, ...options });
}

/** The chain a client sends for `leaf`: the leaf, and the intermediate when it issued it. */
function chainOf(leaf: ClientCert): Uint8Array[] {
  const c = clientCerts();
  return leaf.chainPem === leaf.pem ? [leaf.der] : [leaf.der, c.inter.der];
}

function withCert(leaf: ClientCert, options: ClientOptions = {}): ClientOptions {
  return { clientCertificate: { chain: chainOf(leaf), key: leaf.keyPem }, ...options };
}

/** A whole handshake in memory; returns both sides whatever happened. */
function run(context: ReturnType<typeof makeContext>, options: ClientOptions): { client: TlsClient; server: ServerConnection } {
  const client = new TlsClient(options);
  const server = new ServerConnection(context);
  handshakeInMemory(client, server);
  return { client, server };
}

function completed(pair: { client: TlsClient; server: ServerConnection }): void {
  assert.equal(pair.server.error, undefined, `server error: ${pair.server.error?.message}`);
  assert.ok(pair.server.handshakeComplete, 'server handshake complete');
  assert.ok(pair.client.handshakeComplete, `client handshake complete (phase ${pair.client.phase})`);
}

/** A client that has the server's first flight (with its CertificateRequest) and has not answered. */
function atClientFlight(context: ReturnType<typeof makeContext>, options: ClientOptions = {}): { client: TlsClient; server: ServerConnection } {
  const client = new TlsClient({ autoRespond: false, ...options });
  const server = new ServerConnection(context);
  server.receive(client.start());
  client.receive(server.takeOutput()!);
  assert.equal(client.phase, 'SendFlight');
  return { client, server };
}

/** The server refused with exactly this alert, in clear, and is closed. */
function refused(server: ServerConnection, alert: number, code?: string): void {
  assert.equal(server.error?.alert, alert, server.error?.message);
  if (code) assert.equal(server.error?.reason, code);
  assert.equal(hex(server.takeOutput() ?? new Uint8Array(0)), plainAlert(alert));
  assert.ok(server.closed);
  assert.equal(server.handshakeComplete, false);
}

/** After a whole run: the server refused with this alert, the client got it, and nothing completed. */
function refusedInRun(pair: { client: TlsClient; server: ServerConnection }, alert: number, code?: string): void {
  assert.equal(pair.server.error?.alert, alert, pair.server.error?.message);
  if (code) assert.equal(pair.server.error?.reason, code);
  assert.equal(pair.client.fatalAlert, alert, 'the client received the alert');
  assert.equal(pair.server.handshakeComplete, false);
  assert.equal(pair.client.handshakeComplete, false);
}

const SCHEME_NAME: Record<number, string> = { 0x0403: 'ecdsa_sha256', 0x0503: 'ecdsa_sha384', 0x0603: 'ecdsa_sha512' };

describe('client authentication, in memory', function () {
  this.timeout(60_000);

  describe('the CertificateRequest and a full handshake', () => {
    it('asks for rsa_sign and ecdsa_sign with OpenSSL\'s schemes without SHA-1/SHA-224, and names no CA; without requestCert there is none', () => {
      const { client } = atClientFlight(authContext());
      assert.deepEqual(client.certificateRequest, {
        certificateTypes: [1, 64],
        signatureSchemes: [
          Sig.ecdsa_secp256r1_sha256, Sig.ecdsa_secp384r1_sha384, Sig.ecdsa_secp521r1_sha512, Sig.ed25519, Sig.ed448,
          Sig.rsa_pss_pss_sha256, Sig.rsa_pss_pss_sha384, Sig.rsa_pss_pss_sha512,
          Sig.rsa_pss_rsae_sha256, Sig.rsa_pss_rsae_sha384, Sig.rsa_pss_rsae_sha512,
          Sig.rsa_pkcs1_sha256, Sig.rsa_pkcs1_sha384, Sig.rsa_pkcs1_sha512,
        ],
        authorities: [],
      });
      // It comes between ServerKeyExchange and ServerHelloDone.
      const types = client.messages.map((m) => m.type);
      assert.deepEqual(types, [HandshakeType.server_hello, HandshakeType.certificate, HandshakeType.server_key_exchange, HandshakeType.certificate_request, HandshakeType.server_hello_done]);
      const plain = atClientFlight(makeContext());
      assert.equal(plain.client.certificateRequest, undefined);
    });

    it('a P-256 leaf from the trusted root: the session keeps the leaf DER and a verify result of OK', () => {
      const c = clientCerts();
      const pair = run(authContext(), withCert(c.p256));
      completed(pair);
      const session = pair.server.session!;
      assert.equal(hex(session.peerCertificate!), hex(c.p256.der));
      assert.equal(session.verifyResult ?? 0, 0);
    });

    it('RSA, RSA-PSS and Ed25519 leaves from the trusted root, and an all-RSA chain: accepted, CertificateVerify checked with the leaf key\'s scheme', () => {
      const c = clientCerts();
      const cases: Array<[ClientCert, number, string]> = [
        ...[Sig.rsa_pss_rsae_sha256, Sig.rsa_pss_rsae_sha384, Sig.rsa_pss_rsae_sha512, Sig.rsa_pkcs1_sha256, Sig.rsa_pkcs1_sha384, Sig.rsa_pkcs1_sha512].map(
          (scheme): [ClientCert, number, string] => [c.rsa, scheme, c.root.pem],
        ),
        [c.rsaPss, Sig.rsa_pss_pss_sha256, c.root.pem],
        [c.rsaPss, Sig.rsa_pss_pss_sha512, c.root.pem],
        [c.ed25519, Sig.ed25519, c.root.pem],
        [c.rsaUnderRsa, Sig.rsa_pss_rsae_sha256, c.rsaRoot.pem],
      ];
      for (const [leaf, scheme, ca] of cases) {
        const pair = run(authContext({ ca }), { clientCertificate: { chain: [leaf.der], key: leaf.keyPem, scheme } });
        completed(pair);
        const cv = pair.client.transcriptMessages.find((m) => m[0] === HandshakeType.certificate_verify)!;
        assert.equal((cv[4]! << 8) | cv[5]!, scheme, 'the scheme sent');
        assert.equal(hex(pair.server.session!.peerCertificate!), hex(leaf.der));
        assert.equal(pair.server.peerVerification!.authorized, true, `${leaf.name} 0x${scheme.toString(16)}`);
      }
    });

    it('a P-384 leaf sent with its intermediate: the session keeps the leaf only', () => {
      const c = clientCerts();
      const pair = run(authContext(), withCert(c.p384Inter));
      completed(pair);
      assert.equal(hex(pair.server.session!.peerCertificate!), hex(c.p384Inter.der));
      assert.equal(pair.server.session!.verifyResult ?? 0, 0);
    });

    it('per virtual host: a stricter host asks for a certificate; an open host never loosens the connection\'s policy', () => {
      const c = clientCerts();
      const strict = authContext();
      const base = makeContext({ serverNames: { 'auth.test': strict } });
      const asked = run(base, withCert(c.p256, { serverName: 'auth.test' }));
      completed(asked);
      assert.ok(asked.client.certificateRequest);
      assert.equal(hex(asked.server.session!.peerCertificate!), hex(c.p256.der));
      assert.equal(asked.server.clientAuth, 'require', 'the switch made the policy stricter');
      const open = run(base, withCert(c.p256, { serverName: 'www.test' }));
      completed(open);
      assert.equal(open.client.certificateRequest, undefined);
      assert.equal(open.server.session!.peerCertificate, undefined);
      // The reverse: a requestCert default context and an open virtual host. The connection
      // copied the default's policy when it was made (SSL_new), and the switch keeps it.
      const reverse = authContext({ serverNames: { 'open.test': makeContext({ sessionIdContext: 'open', ca: c.root.pem }) } });
      const viaOpen = run(reverse, { serverName: 'open.test' });
      assert.ok(viaOpen.client.certificateRequest, 'the open host still asks for a certificate');
      refusedInRun(viaOpen, A.handshake_failure, 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
      const viaOpenWithCert = run(reverse, withCert(c.p256, { serverName: 'open.test' }));
      completed(viaOpenWithCert);
      assert.equal(hex(viaOpenWithCert.server.session!.peerCertificate!), hex(c.p256.der));
      const viaDefault = run(reverse, { serverName: 'other.test' });
      assert.equal(viaDefault.server.error?.alert, A.handshake_failure, 'no certificate for the default, strict context');
    });

    describe('the CertificateVerify hash is independent of the PRF hash', () => {
      for (const [suite, prfHash] of [[Suite.AES128_GCM, 'sha256'], [Suite.AES256_GCM, 'sha384'], [Suite.CHACHA20, 'sha256']] as const) {
        for (const leafName of ['p256', 'p384'] as const) {
          for (const scheme of [Sig.ecdsa_secp256r1_sha256, Sig.ecdsa_secp384r1_sha384, Sig.ecdsa_secp521r1_sha512]) {
            it(`suite 0x${suite.toString(16)} (PRF ${prfHash}), ${leafName} key, CertificateVerify ${SCHEME_NAME[scheme]}`, () => {
              const leaf = clientCerts()[leafName];
              const pair = run(authContext(), {
                cipherSuites: [suite],
                clientCertificate: { chain: [leaf.der], key: leaf.keyPem, scheme },
              });
              completed(pair);
              assert.equal(pair.server.negotiated?.suite.hash, prfHash);
              const cv = pair.client.transcriptMessages.find((m) => m[0] === HandshakeType.certificate_verify)!;
              assert.equal((cv[4]! << 8) | cv[5]!, scheme, 'the scheme sent');
            });
          }
        }
      }
    });
  });

  describe('connection.peerVerification: what the socket translates into node:tls names', () => {
    it('a verified certificate, an unknown CA, no certificate, and no request', () => {
      const c = clientCerts();
      const good = run(authContext(), withCert(c.p256));
      completed(good);
      assert.deepEqual(good.server.peerVerification, { requested: true, certificate: good.server.session!.peerCertificate, verifyResult: 0, authorized: true });
      assert.equal(hex(good.server.peerVerification!.certificate!), hex(c.p256.der));
      const lenient = authContext({ rejectUnauthorized: false });
      const stranger = run(lenient, withCert(c.stranger));
      completed(stranger);
      assert.deepEqual({ ...stranger.server.peerVerification, certificate: undefined }, { requested: true, certificate: undefined, verifyResult: 21, authorized: false });
      const none = run(lenient, {});
      completed(none);
      assert.deepEqual(none.server.peerVerification, { requested: true, certificate: undefined, verifyResult: undefined, authorized: false });
      const open = run(makeContext(), {});
      completed(open);
      assert.deepEqual(open.server.peerVerification, { requested: false, certificate: undefined, verifyResult: undefined, authorized: false });
      assert.equal(new ServerConnection(authContext()).peerVerification, undefined, 'nothing before the handshake completes');
    });
  });

  describe('the connection keeps its client-auth policy across the SNI switch (SSL_new copies it; SSL_set_SSL_CTX keeps it)', () => {
    type Mode = 'none' | 'request' | 'require';
    const policy = (mode: Mode): TlsContextOptions =>
      mode === 'none' ? {} : { requestCert: true, rejectUnauthorized: mode === 'require' };
    const STRICTNESS: Mode[] = ['none', 'request', 'require'];
    const stricter = (a: Mode, b: Mode): Mode => (STRICTNESS.indexOf(b) > STRICTNESS.indexOf(a) ? b : a);
    /** How each way of choosing the virtual host is set up on the default context. */
    const ROUTES = {
      'serverNames': (host: ReturnType<typeof makeContext>) => ({ serverNames: { 'vhost.test': host } }),
      'a synchronous sniCallback': (host: ReturnType<typeof makeContext>) => ({ sniCallback: () => host }),
    } as const;
    for (const [route, wire] of Object.entries(ROUTES)) {
      for (const initial of STRICTNESS) {
        for (const vhost of STRICTNESS) {
          const expected = stricter(initial, vhost);
          it(`${route}: default ${initial}, virtual host ${vhost} -> ${expected}`, () => {
            const c = clientCerts();
            const host = makeContext({ sessionIdContext: 'vhost', ca: c.root.pem, ...policy(vhost) });
            const base = makeContext({ sessionIdContext: 'default', ca: c.root.pem, ...policy(initial), ...wire(host) });
            const without = run(base, { serverName: 'vhost.test' });
            assert.equal(without.server.clientAuth, expected);
            assert.equal(without.client.certificateRequest !== undefined, expected !== 'none', 'CertificateRequest sent');
            if (expected === 'require') refusedInRun(without, A.handshake_failure, 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
            else completed(without);
            const withOne = run(base, withCert(c.p256, { serverName: 'vhost.test' }));
            completed(withOne);
            assert.equal(withOne.server.session!.peerCertificate !== undefined, expected !== 'none');
          });
        }
      }
    }

    it('a per-connection override (SSL_set_verify) is the policy the switch starts from', () => {
      const open = makeContext({ sessionIdContext: 'open' });
      const base = makeContext({ sessionIdContext: 'base', serverNames: { 'open.test': open } });
      const server = new ServerConnection(base, { requestCert: true });
      assert.equal(server.clientAuth, 'require', 'rejectUnauthorized comes from the context (default true)');
      const client = new TlsClient({ serverName: 'open.test' });
      handshakeInMemory(client, server);
      refusedInRun({ client, server }, A.handshake_failure, 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
      const lenient = new ServerConnection(authContext(), { rejectUnauthorized: false });
      assert.equal(lenient.clientAuth, 'request');
      const relaxed = new ServerConnection(authContext(), { requestCert: false });
      assert.equal(relaxed.clientAuth, 'none', "the application's own choice for this connection");
    });

    it('the verify depth (maxCertificateChain) is kept too: a host may lower it, never raise it', () => {
      const c = clientCerts();
      const roomy = makeContext({ sessionIdContext: 'roomy', ca: c.root.pem, maxCertificateChain: 20 });
      const base = authContext({ maxCertificateChain: 1, serverNames: { 'roomy.test': roomy } });
      const viaRoomy = run(base, withCert(c.p256Inter, { serverName: 'roomy.test' }));
      assert.equal(viaRoomy.server.maxCertificateChain, 1);
      refusedInRun(viaRoomy, A.unknown_ca, 'CERT_CHAIN_TOO_LONG');
      const tight = makeContext({ sessionIdContext: 'tight', ca: c.root.pem, requestCert: true, maxCertificateChain: 1 });
      const lowered = run(authContext({ serverNames: { 'tight.test': tight } }), withCert(c.p256Inter, { serverName: 'tight.test' }));
      assert.equal(lowered.server.maxCertificateChain, 1);
      refusedInRun(lowered, A.unknown_ca, 'CERT_CHAIN_TOO_LONG');
    });

    it("trust anchors are the serving host's: a host trusting another CA refuses the root's leaf and accepts its own", () => {
      const c = clientCerts();
      const host = makeContext({ sessionIdContext: 'vhost', ca: c.otherRoot.pem });
      const base = authContext({ serverNames: { 'vhost.test': host } });
      const rootLeaf = run(base, withCert(c.p256, { serverName: 'vhost.test' }));
      refusedInRun(rootLeaf, A.unknown_ca, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
      const ownLeaf = run(base, withCert(c.stranger, { serverName: 'vhost.test' }));
      completed(ownLeaf);
      assert.equal(ownLeaf.server.session!.verifyResult ?? 0, 0);
    });

    it('a host with no `ca` under a required policy fails closed: no certificate can verify', () => {
      const c = clientCerts();
      const base = authContext({ serverNames: { 'vhost.test': makeContext({ sessionIdContext: 'vhost' }) } });
      const pair = run(base, withCert(c.p256, { serverName: 'vhost.test' }));
      refusedInRun(pair, A.unknown_ca, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
    });

    it('the connection option selectContext chooses the host instead of the context\'s own table', async () => {
      const c = clientCerts();
      const chosen = makeContext({ sessionIdContext: 'chosen', ca: c.root.pem });
      const base = authContext({ serverNames: { 'vhost.test': makeContext({ sessionIdContext: 'ignored' }) } });
      const server = new ServerConnection(base, { selectContext: async (name) => (name === 'vhost.test' ? chosen : undefined) });
      const client = new TlsClient(withCert(c.p256, { serverName: 'vhost.test' }));
      await drive(client, server);
      completed({ client, server });
      assert.equal(server.context, chosen);
      assert.equal(new TextDecoder().decode(server.session!.sidCtx), 'chosen');
    });
  });

  describe('extended master secret: the session hash covers the client Certificate and stops before CertificateVerify', () => {
    for (const [suite, hash] of [[Suite.AES128_GCM, sha256], [Suite.AES256_GCM, sha384]] as const) {
      it(`suite 0x${suite.toString(16)}: the server's master secret is PRF(pre_master, "extended master secret", Hash(ClientHello..ClientKeyExchange))`, () => {
        const c = clientCerts();
        const pair = run(authContext(), { ...withCert(c.p256), cipherSuites: [suite] });
        completed(pair);
        assert.equal(pair.server.negotiated?.extendedMasterSecret, true);
        const messages = pair.client.transcriptMessages;
        const types = messages.map((m) => m[0]);
        const cke = types.indexOf(HandshakeType.client_key_exchange);
        const cv = types.indexOf(HandshakeType.certificate_verify);
        // ClientHello, ServerHello, Certificate, ServerKeyExchange, CertificateRequest, ServerHelloDone, Certificate (client), CKE, CV, ...
        assert.equal(types[cke - 1], HandshakeType.certificate, 'the client Certificate comes right before ClientKeyExchange');
        assert.equal(cv, cke + 1);
        const ems = (upTo: Uint8Array[]): string =>
          hex(prf(crypto, suite === Suite.AES256_GCM ? 'sha384' : 'sha256', pair.client.preMasterSecret!, new TextEncoder().encode('extended master secret'), hash(concat(...upTo)), 48));
        const expected = ems(messages.slice(0, cke + 1));
        assert.equal(hex(pair.server.session!.masterSecret), expected);
        // The alternatives really are different values, so the check above can tell them apart.
        assert.notEqual(ems(messages.slice(0, cv + 1)), expected, 'with CertificateVerify');
        assert.notEqual(ems([...messages.slice(0, cke - 1), messages[cke]!]), expected, 'without the client Certificate');
      });
    }

    /**
     * A client that derives its keys from another session hash: the server cannot read its
     * Finished (bad_record_mac), so the server's own hash is not that one.
     */
    function withSessionHash(pick: (messages: readonly Uint8Array[], cke: number) => Uint8Array[]): ServerConnection {
      const c = clientCerts();
      const { client, server } = atClientFlight(authContext(), withCert(c.p256, { cipherSuites: [Suite.AES128_GCM] }));
      const certificate = client.makeCertificate();
      const kx = client.makeClientKeyExchange();
      const cv = client.makeCertificateVerify();
      const messages = client.transcriptMessages;
      const hashed = pick(messages, messages.length - 2);
      client.masterSecret = prf(crypto, 'sha256', client.preMasterSecret!, new TextEncoder().encode('extended master secret'), sha256(concat(...hashed)), 48);
      (client as unknown as { prepareKeys(): void }).prepareKeys();
      server.receive(concat(client.handshakeRecord(certificate), client.handshakeRecord(kx), client.handshakeRecord(cv)));
      assert.equal(server.error, undefined, server.error?.message);
      server.receive(concat(client.changeCipherSpec(), client.handshakeRecord(client.makeFinished())));
      return server;
    }

    it('a client whose session hash includes CertificateVerify is refused at its Finished', () => {
      const server = withSessionHash((m, cke) => m.slice(0, cke + 2));
      refused(server, A.bad_record_mac);
    });

    it('a client whose session hash leaves out its Certificate is refused at its Finished', () => {
      const server = withSessionHash((m, cke) => [...m.slice(0, cke - 1), m[cke]!]);
      refused(server, A.bad_record_mac);
    });

    it('(control) the same client with the right session hash completes', () => {
      const server = withSessionHash((m, cke) => m.slice(0, cke + 1));
      assert.equal(server.error, undefined, server.error?.message);
      assert.ok(server.handshakeComplete);
    });
  });

  describe('CertificateVerify refusals', () => {
    /** Certificate and ClientKeyExchange sent; returns the pair waiting for CertificateVerify. */
    function afterKeyExchange(leaf: ClientCert, options: TlsContextOptions = {}): { client: TlsClient; server: ServerConnection } {
      const pair = atClientFlight(authContext(options), withCert(leaf));
      const { client, server } = pair;
      server.receive(concat(client.handshakeRecord(client.makeCertificate()), client.handshakeRecord(client.makeClientKeyExchange())));
      assert.equal(server.error, undefined, server.error?.message);
      assert.equal(server.takeOutput(), undefined, 'nothing to say yet');
      return pair;
    }

    it('a scheme we did not offer (ecdsa_sha1, correctly signed) is illegal_parameter: never SHA-1 (RFC 9155)', () => {
      const { client, server } = afterKeyExchange(clientCerts().p256);
      server.receive(client.handshakeRecord(client.makeCertificateVerify({ scheme: Sig.ecdsa_sha1 })));
      refused(server, A.illegal_parameter);
    });

    it('an RSA-PSS scheme (0x0804) with an ECDSA key is illegal_parameter (wrong signature type), before the signature is looked at', () => {
      const { client, server } = afterKeyExchange(clientCerts().p256);
      server.receive(client.handshakeRecord(client.makeCertificateVerify({ scheme: 0x0804, signature: new Uint8Array(256).fill(1) })));
      refused(server, A.illegal_parameter, 'ERR_WRONG_SIGNATURE_TYPE');
    });

    it('a scheme that does not fit the key is illegal_parameter: RSA with ECDSA or rsa_pss_pss, RSA-PSS with rsae, Ed25519 with ed448', () => {
      const c = clientCerts();
      const cases: Array<[ClientCert, number]> = [
        [c.rsa, Sig.ecdsa_secp256r1_sha256],
        [c.rsa, Sig.rsa_pss_pss_sha256],
        [c.rsa, Sig.ed25519],
        [c.rsaPss, Sig.rsa_pss_rsae_sha256],
        [c.rsaPss, Sig.rsa_pkcs1_sha256],
        [c.ed25519, Sig.ed448],
        [c.ed25519, Sig.ecdsa_secp256r1_sha256],
      ];
      for (const [leaf, scheme] of cases) {
        const { client, server } = afterKeyExchange(leaf);
        server.receive(client.handshakeRecord(client.makeCertificateVerify({ scheme, signature: new Uint8Array(64).fill(1) })));
        refused(server, A.illegal_parameter, 'ERR_WRONG_SIGNATURE_TYPE');
      }
      // rsa_pkcs1_sha1, correctly signed: not offered (RFC 9155).
      const { client, server } = afterKeyExchange(c.rsa);
      server.receive(client.handshakeRecord(client.makeCertificateVerify({ scheme: Sig.rsa_pkcs1_sha1, hashScheme: Sig.rsa_pkcs1_sha256 })));
      refused(server, A.illegal_parameter);
    });

    it('an RSA, RSA-PSS or Ed25519 signature over other data is decrypt_error', () => {
      const c = clientCerts();
      for (const [leaf, scheme] of [[c.rsa, Sig.rsa_pss_rsae_sha256], [c.rsa, Sig.rsa_pkcs1_sha512], [c.rsaPss, Sig.rsa_pss_pss_sha384], [c.ed25519, Sig.ed25519]] as const) {
        const { client, server } = afterKeyExchange(leaf);
        server.receive(client.handshakeRecord(client.makeCertificateVerify({ scheme, tamper: true })));
        refused(server, A.decrypt_error, 'ERR_BAD_SIGNATURE');
      }
    });

    it('a signature over other data is decrypt_error', () => {
      const { client, server } = afterKeyExchange(clientCerts().p256);
      server.receive(client.handshakeRecord(client.makeCertificateVerify({ tamper: true })));
      refused(server, A.decrypt_error, 'ERR_BAD_SIGNATURE');
    });

    it('a signature made with another hash than the scheme says is decrypt_error', () => {
      const { client, server } = afterKeyExchange(clientCerts().p384);
      server.receive(client.handshakeRecord(client.makeCertificateVerify({ scheme: Sig.ecdsa_secp384r1_sha384, hashScheme: Sig.ecdsa_secp256r1_sha256 })));
      refused(server, A.decrypt_error, 'ERR_BAD_SIGNATURE');
    });

    it('a signature by a key that is not the certificate\'s is decrypt_error', () => {
      const { client, server } = afterKeyExchange(clientCerts().p256);
      server.receive(client.handshakeRecord(client.makeCertificateVerify({ key: clientCerts().strayKeyPem })));
      refused(server, A.decrypt_error, 'ERR_BAD_SIGNATURE');
    });

    it('garbage in place of the DER signature is decrypt_error', () => {
      const { client, server } = afterKeyExchange(clientCerts().p256);
      server.receive(client.handshakeRecord(client.makeCertificateVerify({ signature: Uint8Array.of(1, 2, 3) })));
      refused(server, A.decrypt_error);
    });

    it('a CertificateVerify with trailing bytes is decode_error', () => {
      const { client, server } = afterKeyExchange(clientCerts().p256);
      const cv = client.makeCertificateVerify();
      const body = concat(cv.subarray(4), Uint8Array.of(0));
      const padded = concat(Uint8Array.of(HandshakeType.certificate_verify, 0, body.length >> 8, body.length & 0xff), body);
      server.receive(client.handshakeRecord(padded));
      refused(server, A.decode_error);
    });

    it('CertificateVerify missing (ChangeCipherSpec right after ClientKeyExchange, a certificate having been sent) is unexpected_message', () => {
      const { client, server } = afterKeyExchange(clientCerts().p256);
      server.receive(client.changeCipherSpec());
      refused(server, A.unexpected_message);
    });

    it('Finished in place of CertificateVerify is unexpected_message', () => {
      const { client, server } = afterKeyExchange(clientCerts().p256);
      server.receive(client.handshakeRecord(client.makeFinished()));
      refused(server, A.unexpected_message);
    });

    it('a second CertificateVerify is unexpected_message', () => {
      const { client, server } = afterKeyExchange(clientCerts().p256);
      server.receive(client.handshakeRecord(client.makeCertificateVerify()));
      assert.equal(server.error, undefined, server.error?.message);
      server.receive(client.handshakeRecord(client.makeCertificateVerify()));
      refused(server, A.unexpected_message);
    });

    it('with rejectUnauthorized: false, a bad signature is still decrypt_error (possession of the key is not optional)', () => {
      const { client, server } = afterKeyExchange(clientCerts().stranger, { rejectUnauthorized: false });
      server.receive(client.handshakeRecord(client.makeCertificateVerify({ key: clientCerts().strayKeyPem })));
      refused(server, A.decrypt_error);
    });
  });

  describe('messages out of turn', () => {
    it('a CertificateVerify when the Certificate was empty is unexpected_message', () => {
      const c = clientCerts();
      const { client, server } = atClientFlight(authContext({ rejectUnauthorized: false }));
      server.receive(concat(client.handshakeRecord(client.makeCertificate([])), client.handshakeRecord(client.makeClientKeyExchange())));
      assert.equal(server.error, undefined, server.error?.message);
      server.receive(client.handshakeRecord(client.makeCertificateVerify({ key: c.p256.keyPem })));
      refused(server, A.unexpected_message);
    });

    it('a Certificate when requestCert is off is unexpected_message', () => {
      const c = clientCerts();
      const { client, server } = atClientFlight(makeContext());
      assert.equal(client.certificateRequest, undefined);
      server.receive(client.handshakeRecord(client.makeCertificate([c.p256.der])));
      refused(server, A.unexpected_message);
    });

    it('an empty Certificate when requestCert is off is unexpected_message too', () => {
      const { client, server } = atClientFlight(makeContext());
      server.receive(client.handshakeRecord(client.makeCertificate([])));
      refused(server, A.unexpected_message);
    });

    it('ClientKeyExchange without the Certificate the server asked for is unexpected_message', () => {
      const { client, server } = atClientFlight(authContext({ rejectUnauthorized: false }));
      server.receive(client.handshakeRecord(client.makeClientKeyExchange()));
      refused(server, A.unexpected_message);
    });

    it('two Certificate messages are unexpected_message', () => {
      const c = clientCerts();
      const { client, server } = atClientFlight(authContext());
      server.receive(client.handshakeRecord(client.makeCertificate([c.p256.der])));
      assert.equal(server.error, undefined, server.error?.message);
      server.receive(client.handshakeRecord(client.makeCertificate([c.p256.der])));
      refused(server, A.unexpected_message);
    });
  });

  describe('the Certificate message', () => {
    it('empty, with rejectUnauthorized: handshake_failure as soon as it arrives', () => {
      const { client, server } = atClientFlight(authContext());
      server.receive(client.handshakeRecord(client.makeCertificate([])));
      refused(server, A.handshake_failure, 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
    });

    it('empty, with rejectUnauthorized: false: the handshake completes with no peer certificate', () => {
      const pair = run(authContext({ rejectUnauthorized: false }), {});
      completed(pair);
      const sent = pair.client.transcriptMessages.find((m) => m[0] === HandshakeType.certificate && m.length === 7);
      assert.ok(sent, 'the client sent an empty Certificate');
      assert.equal(pair.server.session!.peerCertificate, undefined);
      assert.equal(pair.client.transcriptMessages.some((m) => m[0] === HandshakeType.certificate_verify), false);
    });

    it('from an unknown CA: unknown_ca; with rejectUnauthorized: false the handshake completes and the session keeps the verify result', () => {
      const c = clientCerts();
      const { client, server } = atClientFlight(authContext());
      server.receive(client.handshakeRecord(client.makeCertificate([c.stranger.der])));
      refused(server, A.unknown_ca, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
      const pair = run(authContext({ rejectUnauthorized: false }), withCert(c.stranger));
      completed(pair);
      assert.equal(hex(pair.server.session!.peerCertificate!), hex(c.stranger.der));
      // SSL_get_verify_result under node:tls's callback: the last error, UNABLE_TO_VERIFY_LEAF_SIGNATURE (21).
      assert.equal(pair.server.session!.verifyResult, 21);
    });

    it('expired: certificate_expired', () => {
      const { client, server } = atClientFlight(authContext());
      server.receive(client.handshakeRecord(client.makeCertificate([clientCerts().expired.der])));
      refused(server, A.certificate_expired, 'CERT_HAS_EXPIRED');
    });

    it('a serverAuth-only leaf: unsupported_certificate', () => {
      const { client, server } = atClientFlight(authContext());
      server.receive(client.handshakeRecord(client.makeCertificate([clientCerts().serverOnly.der])));
      refused(server, A.unsupported_certificate, 'INVALID_PURPOSE');
    });

    it('a leaf sent without the intermediate that issued it: unknown_ca', () => {
      const { client, server } = atClientFlight(authContext());
      server.receive(client.handshakeRecord(client.makeCertificate([clientCerts().p256Inter.der])));
      refused(server, A.unknown_ca);
    });

    it('an RSA-signed chain (RSA root, RSA leaf) with a bad signature: decrypt_error (CERT_SIGNATURE_FAILURE); without rejectUnauthorized it completes, verify result 7', () => {
      const c = clientCerts();
      const broken = Uint8Array.from(c.rsaUnderRsa.der); // a copy (Buffer.slice would be a view of the shared fixture)
      broken[broken.length - 10]! ^= 0x01; // inside the signatureValue, the certificate's last element
      const { client, server } = atClientFlight(authContext({ ca: c.rsaRoot.pem }));
      server.receive(client.handshakeRecord(client.makeCertificate([broken])));
      refused(server, A.decrypt_error, 'CERT_SIGNATURE_FAILURE');
      const lenient = run(authContext({ ca: c.rsaRoot.pem, rejectUnauthorized: false }), { clientCertificate: { chain: [broken], key: c.rsaUnderRsa.keyPem } });
      completed(lenient);
      assert.equal(lenient.server.session!.verifyResult, 7);
      assert.equal(lenient.server.peerVerification!.authorized, false);
    });

    it('a leaf whose key cannot sign a CertificateVerify we check (P-521): unsupported_certificate, with or without rejectUnauthorized', () => {
      const c = clientCerts();
      const ca = new OpensslCa(c.dir, 5000);
      if (!existsSync(ca.file('leaf-p521.pem'))) {
        ca.issue('leaf-p521', 'P-521', 'root', 'basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = clientAuth', { subj: '/CN=client p521', digest: 'sha256' });
      }
      const der = new Uint8Array(new X509Certificate(ca.read('leaf-p521.pem')).raw);
      for (const rejectUnauthorized of [true, false]) {
        const { client, server } = atClientFlight(authContext({ rejectUnauthorized }));
        server.receive(client.handshakeRecord(client.makeCertificate([der])));
        refused(server, A.unsupported_certificate);
      }
    });

    it('a certificate that does not parse: bad_certificate, with or without rejectUnauthorized', () => {
      for (const rejectUnauthorized of [true, false]) {
        const { client, server } = atClientFlight(authContext({ rejectUnauthorized }));
        server.receive(client.handshakeRecord(client.makeCertificate([Uint8Array.of(0x30, 0x03, 1, 2, 3)])));
        refused(server, A.bad_certificate);
      }
    });

    it('bytes after the certificate list: decode_error', () => {
      const { client, server } = atClientFlight(authContext());
      const message = client.makeCertificate([clientCerts().p256.der]);
      const trailing = concat(Uint8Array.of(HandshakeType.certificate), Uint8Array.of(0, (message.length - 4 + 1) >>> 8, (message.length - 4 + 1) & 0xff), message.subarray(4), Uint8Array.of(0));
      server.receive(client.handshakeRecord(trailing));
      refused(server, A.decode_error);
    });

    it('an empty certificate inside the list: decode_error', () => {
      const { client, server } = atClientFlight(authContext());
      server.receive(client.handshakeRecord(client.makeCertificate([new Uint8Array(0)])));
      refused(server, A.decode_error);
    });
  });

  describe('chain limits: maxCertificateChain and the signature budget, counted through the CryptoProvider', () => {
    /** A requestCert context trusting `root`, whose crypto provider counts signature checks. */
    function limitedContext(root: BuiltCertificate, options: TlsContextOptions = {}): { context: ReturnType<typeof makeContext>; counting: RecordingCrypto } {
      const counting = new RecordingCrypto();
      const context = makeContext({ requestCert: true, ca: derToPem(root.der), sessionIdContext: 'limits', tickets: false, crypto: counting, ...options });
      return { context, counting };
    }

    /** The client's whole flight for `built`, answered by the server; returns what happened. */
    function present(context: ReturnType<typeof makeContext>, built: BuiltChain): { client: TlsClient; server: ServerConnection } {
      return run(context, { clientCertificate: { chain: built.chain, key: privateKeyToPem(built.leaf.key) } });
    }

    /** The alert the server sent in clear, and that it is closed. */
    function refusedWith(pair: { client: TlsClient; server: ServerConnection }, alert: number, code: string): void {
      assert.equal(pair.server.error?.alert, alert, pair.server.error?.message);
      assert.equal(pair.server.error?.reason, code);
      assert.deepEqual(pair.client.alerts, [{ level: 2, description: alert, encrypted: false }]);
      assert.ok(pair.server.closed);
    }

    it(`the defaults: ${DEFAULT_MAX_CERTIFICATE_CHAIN} certificates, ${DEFAULT_SIGNATURE_BUDGET} signature checks per handshake`, () => {
      assert.equal(DEFAULT_MAX_CERTIFICATE_CHAIN, 10);
      assert.equal(DEFAULT_SIGNATURE_BUDGET, 11);
      assert.equal(makeContext({ tickets: false }).maxCertificateChain, 10);
      for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => makeContext({ maxCertificateChain: bad }), /maxCertificateChain/);
    });

    it('100 untrusted certificates: unknown_ca (CERT_CHAIN_TOO_LONG) with no signature checked, and the next client is served', () => {
      const trusted = buildChain(2, { label: 'trusted' });
      const { context, counting } = limitedContext(trusted.root);
      const pair = present(context, buildChain(100, { label: 'hostile' }));
      refusedWith(pair, A.unknown_ca, 'CERT_CHAIN_TOO_LONG');
      assert.equal(counting.verifies.length, 0, 'signature checks');
      // The same context goes on serving: a good client, two chain checks and its CertificateVerify.
      completed(present(context, trusted));
      assert.equal(counting.verifies.length, 3);
    });

    it('more than maxCertificateChain is refused whatever rejectUnauthorized says; exactly maxCertificateChain is verified', () => {
      const long = buildChain(11, { label: 'eleven' });
      for (const rejectUnauthorized of [true, false]) {
        const { context, counting } = limitedContext(long.root, { rejectUnauthorized });
        refusedWith(present(context, long), A.unknown_ca, 'CERT_CHAIN_TOO_LONG');
        assert.equal(counting.verifies.length, 0);
      }
      const ten = buildChain(10, { label: 'ten' });
      const { context, counting } = limitedContext(ten.root);
      const pair = present(context, ten);
      completed(pair);
      assert.equal(pair.server.session!.verifyResult ?? 0, 0);
      assert.equal(counting.verifies.length, 11, '10 certificates and the CertificateVerify');
      assert.ok(counting.verifies.every((v) => v.result));
    });

    it('maxCertificateChain 100: 100 untrusted certificates fail on names alone (unknown_ca, 0 checks); without rejectUnauthorized only the CertificateVerify is checked', () => {
      const trusted = buildChain(2, { label: 'trusted' });
      const hostile = buildChain(100, { label: 'hostile' });
      const strict = limitedContext(trusted.root, { maxCertificateChain: 100 });
      refusedWith(present(strict.context, hostile), A.unknown_ca, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY');
      assert.equal(strict.counting.verifies.length, 0);
      const lenient = limitedContext(trusted.root, { maxCertificateChain: 100, rejectUnauthorized: false });
      const pair = present(lenient.context, hostile);
      completed(pair);
      assert.equal(pair.server.session!.verifyResult, 20 /* UNABLE_TO_GET_ISSUER_CERT_LOCALLY */);
      assert.equal(lenient.counting.verifies.length, 1, 'the CertificateVerify alone');
    });

    it('maxCertificateChain 100: 100 certificates named up to the trusted root, signed by other keys: decrypt_error after one check', () => {
      const trusted = buildChain(2, { label: 'trusted' });
      const { context, counting } = limitedContext(trusted.root, { maxCertificateChain: 100 });
      const pair = present(context, buildChain(100, { label: 'forged', forgedUnder: trusted.root }));
      refusedWith(pair, A.decrypt_error, 'CERT_SIGNATURE_FAILURE');
      assert.deepEqual(counting.verifies.map((v) => v.result), [false]);
    });

    it('a valid path of 12 with maxCertificateChain 12: the budget follows the option, 12 chain checks and the CertificateVerify', () => {
      const twelve = buildChain(12, { label: 'twelve' });
      const { context, counting } = limitedContext(twelve.root, { maxCertificateChain: 12 });
      completed(present(context, twelve));
      assert.equal(counting.verifies.length, 13);
    });
  });

  describe('delivery', () => {
    it('the client flight one byte at a time', () => {
      const c = clientCerts();
      const { client, server } = atClientFlight(authContext(), withCert(c.p256Inter));
      const flight = client.secondFlight();
      for (let i = 0; i < flight.length; i++) server.receive(flight.subarray(i, i + 1));
      client.receive(server.takeOutput()!);
      assert.equal(server.error, undefined, server.error?.message);
      assert.ok(server.handshakeComplete && client.handshakeComplete);
      assert.equal(hex(server.session!.peerCertificate!), hex(c.p256Inter.der));
    });

    it('the caller reuses its buffer after each receive(): the kept messages and the peer certificate are not views of it', () => {
      const c = clientCerts();
      const { client, server } = atClientFlight(authContext(), withCert(c.p384));
      const buffer = new Uint8Array(16384);
      const send = (bytes: Uint8Array): void => {
        buffer.set(bytes);
        server.receive(buffer.subarray(0, bytes.length));
        buffer.fill(0xee); // the caller's next read lands here
      };
      // Certificate and ClientKeyExchange in one read, CertificateVerify in the next: the
      // signature is checked against messages that came in through the reused buffer.
      send(concat(client.handshakeRecord(client.makeCertificate()), client.handshakeRecord(client.makeClientKeyExchange())));
      send(client.handshakeRecord(client.makeCertificateVerify()));
      send(concat(client.changeCipherSpec(), client.handshakeRecord(client.makeFinished())));
      assert.equal(server.error, undefined, server.error?.message);
      client.receive(server.takeOutput()!);
      assert.ok(server.handshakeComplete && client.handshakeComplete);
      assert.equal(hex(server.session!.peerCertificate!), hex(c.p384.der));
    });
  });

  describe('sessions', () => {
    it('a resumption (session ID) keeps the peer certificate and verify result, and sends no CertificateRequest', () => {
      const c = clientCerts();
      const ctx = authContext({ rejectUnauthorized: false });
      const first = run(ctx, withCert(c.stranger));
      completed(first);
      const again = run(ctx, { resume: first.client.session! });
      completed(again);
      assert.equal(again.client.resumed, true);
      assert.equal(again.client.certificateRequest, undefined);
      assert.equal(hex(again.server.session!.peerCertificate!), hex(c.stranger.der));
      assert.equal(again.server.session!.verifyResult, 21);
    });

    it('a resumption by ticket keeps them too', () => {
      const c = clientCerts();
      const ctx = authContext({ tickets: true });
      const first = run(ctx, withCert(c.p384Inter, { sessionTicket: new Uint8Array(0) }));
      completed(first);
      assert.ok(first.client.newSessionTicket);
      const again = run(ctx, { resume: first.client.session!, sessionTicket: new Uint8Array(0) });
      completed(again);
      assert.equal(again.server.negotiated?.resumedBy, 'ticket');
      assert.equal(hex(again.server.session!.peerCertificate!), hex(c.p384Inter.der));
      assert.equal(again.server.session!.verifyResult ?? 0, 0);
    });

    describe('rejectUnauthorized holds for resumption: a strict context sharing a cache and sid_ctx with a lenient one', () => {
      // A session the lenient context made for an unauthorized client must not let that client
      // into the strict one (node:tls refuses it: it checks the verify result after every
      // handshake). A full handshake instead (then unknown_ca) or a refusal are both fine.
      for (const [name, leaf] of [['unknown-CA certificate', 'stranger'], ['no certificate', undefined]] as const) {
        for (const by of ['session-id', 'ticket'] as const) {
          it(`${name}, resumed by ${by}`, () => {
            const c = clientCerts();
            const cache = new MemorySessionCache({ flushIntervalSeconds: 0 });
            const ticketKeys = new Uint8Array(48).fill(7);
            const shared = { sessionCache: cache, sessionIdContext: 'shared', tickets: by === 'ticket', ...(by === 'ticket' ? { ticketKeys } : {}) };
            const lenient = authContext({ ...shared, rejectUnauthorized: false });
            const strict = authContext({ ...shared, rejectUnauthorized: true });
            const options: ClientOptions = {
              ...(leaf ? withCert(c[leaf]) : {}),
              ...(by === 'ticket' ? { sessionTicket: new Uint8Array(0) } : {}),
            };
            const first = run(lenient, options);
            completed(first);
            const again = run(strict, { ...options, resume: first.client.session! });
            const s = again.server;
            const authorized = s.session?.peerCertificate !== undefined && (s.session.verifyResult ?? 0) === 0;
            assert.ok(
              !s.handshakeComplete || authorized,
              `the strict context completed a handshake (resumed: ${String(s.isSessionReused)}) for an unauthorized client`,
            );
          });
        }
      }
    });

    describe('spec rule 3: requestCert with an empty sid_ctx', () => {
      it('the session is not cached, so ServerHello carries no session ID; an ID offered anyway is a plain miss', () => {
        const c = clientCerts();
        const cache = new MemorySessionCache({ flushIntervalSeconds: 0 });
        const ctx = authContext({ sessionIdContext: '', sessionCache: cache });
        const first = run(ctx, withCert(c.p256));
        completed(first);
        assert.equal(first.client.serverHello!.sessionId.length, 0, 'SPEC: an ID only for a session that goes into the cache');
        assert.equal(cache.size, 0, 'not cached');
        const offered = { ...first.client.session!, sessionId: new Uint8Array(32).fill(7) };
        const again = run(ctx, { ...withCert(c.p256), resume: offered });
        completed(again);
        assert.equal(again.client.resumed, false);
        assert.equal(ctx.stats.misses, 1);
        assert.equal(ctx.stats.hits, 0);
        assert.equal(cache.size, 0);
      });

      it('with a sid_ctx the same session is cached (control)', () => {
        const cache = new MemorySessionCache({ flushIntervalSeconds: 0 });
        const ctx = authContext({ sessionCache: cache });
        completed(run(ctx, withCert(clientCerts().p256)));
        assert.equal(cache.size, 1);
      });

      it('no ticket is issued (it could never resume); one made elsewhere under the empty sid_ctx is a fatal internal_error', () => {
        const c = clientCerts();
        const ticketKeys = new Uint8Array(48).fill(5);
        const ctx = authContext({ sessionIdContext: '', tickets: true, ticketKeys });
        const first = run(ctx, withCert(c.p256, { sessionTicket: new Uint8Array(0) }));
        completed(first);
        assert.equal(first.client.newSessionTicket, undefined, 'no ticket that every return visit would turn into internal_error');
        assert.equal(first.server.negotiated?.ticketIssued, false);
        // A sibling without client auth, same (empty) sid_ctx and ticket keys, issues one.
        const open = makeContext({ sessionIdContext: '', tickets: true, ticketKeys });
        const made = run(open, { sessionTicket: new Uint8Array(0) });
        completed(made);
        assert.ok(made.client.newSessionTicket, 'the sibling issued a ticket');
        const again = run(ctx, { ...withCert(c.p256), resume: made.client.session! });
        assert.equal(again.server.error?.alert, A.internal_error);
        assert.equal(again.server.error?.reason, 'SESSION_ID_CONTEXT_UNINITIALIZED');
        assert.equal(again.client.fatalAlert, A.internal_error);
        assert.equal(again.server.handshakeComplete, false);
      });

      it('a session imported into the cache with an empty sid_ctx, offered by ID: fatal internal_error', async () => {
        const c = clientCerts();
        const ctx = authContext({ sessionIdContext: '' });
        const first = run(ctx, withCert(c.p256));
        completed(first);
        // Such a session only reaches the cache from elsewhere (an import, an external store).
        const sessionId = new Uint8Array(32).fill(9);
        await ctx.importSession(first.server.session!.with({ sessionId }).toDER());
        const again = run(ctx, { ...withCert(c.p256), resume: { ...first.client.session!, sessionId } });
        assert.equal(again.server.error?.reason, 'SESSION_ID_CONTEXT_UNINITIALIZED');
        assert.equal(again.client.fatalAlert, A.internal_error);
        assert.ok(bytesEqual(again.client.offeredSessionId, sessionId));
      });
    });
  });
});
