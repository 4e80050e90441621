import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { ServerConnection } from '../../src/connection.js';
import { MAX_HOST_NAME_LENGTH } from '../../src/handshake/messages/extensions.js';
import { MAX_RENEGOTIATION_REFUSALS } from '../../src/handshake/server.js';
import { AlertDescription as A } from '../../src/errors.js';
import {
  DOWNGRADE_SENTINEL_TLS12,
  Ext,
  Group,
  HandshakeType,
  Sig,
  Suite,
  LARGEST_CLIENT_HELLO_BODY,
  TlsClient,
  bytesEqual,
  concat,
  fragmentIntoRecords,
  handshakeMessage,
  hex,
  largestHelloOptions,
  seededRandom,
  type RawExtension,
} from '../helpers/tls-client.js';
import { connectOk, exchangeData, expectHelloRefused, makeContext, plainAlert } from '../helpers/handshake-harness.js';

const empty = new Uint8Array(0);
const ext = (type: number, data: number[] | Uint8Array = empty): RawExtension => ({ type, data: Uint8Array.from(data) });
const serverExt = (c: TlsClient, type: number): Uint8Array | undefined => c.serverHello!.extensionList?.find((e) => e.type === type)?.data;

describe('ALPN (RFC 7301)', () => {
  it('selects by server preference among the client offer, and reports it on both sides', () => {
    const context = makeContext({ alpnProtocols: ['h2', 'http/1.1'] });
    const { client, server } = connectOk(context, { alpn: ['http/1.1', 'h2'] });
    assert.equal(server.alpnProtocol, 'h2');
    assert.equal(client.alpnProtocol, 'h2');
    assert.equal(hex(serverExt(client, Ext.alpn)!), '0003' + '02' + hex(Buffer.from('h2')));
  });

  it('no protocol in common is a fatal no_application_protocol', () => {
    expectHelloRefused(makeContext({ alpnProtocols: ['h2'] }), { alpn: ['spdy/3', 'http/1.0'] }, A.no_application_protocol);
  });

  it('none configured: the offer is ignored and no ALPN extension is sent', () => {
    const { client, server } = connectOk(makeContext(), { alpn: ['h2'] });
    assert.equal(server.alpnProtocol, undefined);
    assert.equal(serverExt(client, Ext.alpn), undefined);
  });

  it('configured but not offered: no ALPN extension either', () => {
    const { client, server } = connectOk(makeContext({ alpnProtocols: ['h2'] }));
    assert.equal(server.alpnProtocol, undefined);
    assert.equal(serverExt(client, Ext.alpn), undefined);
  });
});

describe('SNI (RFC 6066)', () => {
  it('exposes the server name and acknowledges it with an empty server_name', () => {
    const { client, server } = connectOk(makeContext(), { serverName: 'www.example.test' });
    assert.equal(server.serverName, 'www.example.test');
    assert.equal(hex(serverExt(client, Ext.server_name)!), '');
  });

  it('no SNI: no name and no acknowledgement', () => {
    const { client, server } = connectOk(makeContext());
    assert.equal(server.serverName, undefined);
    assert.equal(serverExt(client, Ext.server_name), undefined);
  });

  it(`a host_name of ${MAX_HOST_NAME_LENGTH} bytes is served and kept in the session; one of 256 (or 60 KB) is unrecognized_name, as OpenSSL answers`, () => {
    const context = makeContext();
    const longest = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}`;
    assert.equal(longest.length, MAX_HOST_NAME_LENGTH);
    const { server } = connectOk(context, { serverName: longest });
    assert.equal(server.session!.serverName, longest);
    for (const name of [`${longest}e`, 'x'.repeat(60_000)]) {
      const refused = expectHelloRefused(context, { serverName: name }, A.unrecognized_name);
      assert.equal(refused.session, undefined);
    }
    connectOk(context, { serverName: 'example.test' });
  });

  it('an empty server_name list is a decode_error', () => {
    expectHelloRefused(makeContext(), { extraExtensions: [ext(Ext.server_name, [0, 0])] }, A.decode_error);
  });
});

describe('extended master secret (RFC 7627)', () => {
  it('is used when offered: echoed, and both Finished messages verify with the session-hash master secret', () => {
    const { client, server } = connectOk(makeContext());
    assert.equal(hex(serverExt(client, Ext.extended_master_secret)!), '');
    assert.equal(client.extendedMasterSecret, true);
    assert.equal(server.negotiated!.extendedMasterSecret, true);
    assert.equal(server.session!.extendedMasterSecret, true);
  });

  it('is not used when not offered; the classic master secret then verifies', () => {
    const { client, server } = connectOk(makeContext(), { extendedMasterSecret: false });
    assert.equal(serverExt(client, Ext.extended_master_secret), undefined);
    assert.equal(server.negotiated!.extendedMasterSecret, false);
  });
});

describe('versions', () => {
  it('a TLS 1.3-capable ClientHello (supported_versions with GREASE, key_share, TLS 1.3 suites) gets TLS 1.2', () => {
    const context = makeContext();
    for (let i = 0; i < 8; i++) {
      const { client, server } = connectOk(context, {
        rng: seededRandom(`tls13 hello ${i}`),
        cipherSuites: [0x3a3a, 0x1301, 0x1302, 0x1303, Suite.AES128_GCM, Suite.CHACHA20],
        groups: [0x2a2a, Group.x25519, Group.secp256r1],
        supportedVersions: [0x5a5a, 0x0304, 0x0303],
        signatureAlgorithms: [0x0804, Sig.ecdsa_secp256r1_sha256],
        extraExtensions: [
          ext(0x1a1a),
          ext(51, [0, 0x26, 0, 0x1d, 0, 0x20, ...new Uint8Array(32).fill(9)]), // key_share
          ext(45, [1, 1]), // psk_key_exchange_modes
          ext(0x4a4a, [0]),
        ],
      });
      assert.equal(client.serverHello!.version, 0x0303);
      assert.equal(server.protocol, 'TLSv1.2');
      assert.equal(serverExt(client, Ext.supported_versions), undefined, 'no supported_versions in a TLS 1.2 ServerHello');
      // RFC 8446 §4.1.3: only a TLS 1.3 server marks its random; a TLS 1.3 client would abort on it.
      const tail = client.serverHello!.random.subarray(24);
      assert.ok(!bytesEqual(tail, DOWNGRADE_SENTINEL_TLS12), 'DOWNGRD\\x01 sentinel in the ServerHello random');
      assert.ok(!bytesEqual(tail.subarray(0, 7), DOWNGRADE_SENTINEL_TLS12.subarray(0, 7)), 'DOWNGRD sentinel in the ServerHello random');
    }
  });

  it('a client whose highest version is TLS 1.1 gets protocol_version', () => {
    expectHelloRefused(makeContext(), { clientVersion: 0x0302 }, A.protocol_version, 'ERR_UNSUPPORTED_PROTOCOL');
    expectHelloRefused(makeContext(), { clientVersion: 0x0301, recordVersion: 0x0301 }, A.protocol_version);
  });

  it('supported_versions decides over client_version: TLS 1.1 and 1.3 only are protocol_version', () => {
    expectHelloRefused(makeContext(), { supportedVersions: [0x0302, 0x0301] }, A.protocol_version);
    expectHelloRefused(makeContext(), { supportedVersions: [0x0304] }, A.protocol_version);
    const { client } = connectOk(makeContext(), { clientVersion: 0x0301, supportedVersions: [0x0303] });
    assert.equal(client.serverHello!.version, 0x0303);
  });
});

describe('what the client offers', () => {
  it('no suite in common (here, only RSA ones with an ECDSA certificate) is handshake_failure', () => {
    expectHelloRefused(makeContext(), { cipherSuites: [0x009c, 0xc02f, 0xc030, 0x1301] }, A.handshake_failure, 'ERR_NO_SHARED_CIPHER');
  });

  it('a suite the context disabled is not chosen', () => {
    expectHelloRefused(makeContext({ ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' }), { cipherSuites: [Suite.AES128_GCM, Suite.CHACHA20] }, A.handshake_failure);
  });

  it('a duplicate extension is illegal_parameter, wherever it is', () => {
    for (const dup of [Ext.supported_groups, Ext.extended_master_secret, Ext.renegotiation_info, 0x1234, 0x0a0a]) {
      const original = new TlsClient({ extraExtensions: [ext(0x1234), ext(0x0a0a)] }).buildClientHello();
      assert.ok(original.length > 0);
      const data = dup === Ext.supported_groups ? [0, 2, 0, 23] : dup === Ext.renegotiation_info ? [0] : [];
      expectHelloRefused(makeContext(), { extraExtensions: [ext(0x1234), ext(0x0a0a), ext(dup, data)] }, A.illegal_parameter, 'ERR_DUPLICATE_EXTENSION');
    }
  });

  it('unknown extensions, suites and groups (GREASE included) are tolerated', () => {
    const { client, server } = connectOk(makeContext(), {
      cipherSuites: [0x0a0a, 0xfefe, 0x00ff, Suite.AES256_GCM, 0x5600],
      groups: [0x1a1a, 0x0100, 30, Group.secp256r1],
      signatureAlgorithms: [0x2a2a, 0x0804, 0x0401, Sig.ecdsa_secp256r1_sha256],
      extraExtensions: [ext(0x3a3a), ext(0xfe0d, [1, 2, 3]), ext(5, [1, 0, 0, 0, 0]), ext(21, new Uint8Array(100)), ext(22), ext(18)],
    });
    assert.equal(client.serverHello!.cipherSuite, Suite.AES256_GCM);
    assert.equal(server.groupName, 'prime256v1');
    const sent = client.serverHello!.extensionList!.map((e) => e.type);
    for (const t of [0x3a3a, 0xfe0d, 5, 21, 22, 18]) assert.ok(!sent.includes(t), `server echoed unknown extension ${t}`);
  });

  it('no supported_groups: secp256r1, the curve every pre-RFC 8422 client has', () => {
    const { client } = connectOk(makeContext(), { groups: null });
    assert.equal(client.serverKeyExchange!.group, Group.secp256r1);
  });

  describe('signature algorithms (RFC 9155: never SHA-1)', () => {
    it('no extensions block at all (so no signature_algorithms) is handshake_failure, as OpenSSL 3.0 answers; the next client is served', () => {
      const context = makeContext();
      expectHelloRefused(context, { extensions: null }, A.handshake_failure, 'ERR_NO_SHARED_SIGALG');
      connectOk(context);
    });

    it('signature_algorithms absent is handshake_failure with either certificate curve: no SHA-1 default', () => {
      for (const curve of ['P-256', 'P-384'] as const) {
        const server = expectHelloRefused(makeContext({ curve }), { signatureAlgorithms: null }, A.handshake_failure, 'ERR_NO_SHARED_SIGALG');
        assert.match(server.error!.message, /RFC 9155/);
      }
    });

    it('a client offering only ecdsa_sha1 is handshake_failure: SHA-1 is never used to sign', () => {
      for (const curve of ['P-256', 'P-384'] as const) {
        expectHelloRefused(makeContext({ curve }), { signatureAlgorithms: [Sig.ecdsa_sha1, 0x0201] }, A.handshake_failure, 'ERR_NO_SHARED_SIGALG');
      }
    });

    it('any offered ECDSA+SHA-2 hash is used with either curve (TLS 1.2 binds no curve): sha224, sha256, sha384, sha512', () => {
      for (const curve of ['P-256', 'P-384'] as const) {
        for (const scheme of [Sig.ecdsa_sha224, Sig.ecdsa_secp256r1_sha256, Sig.ecdsa_secp384r1_sha384, Sig.ecdsa_secp521r1_sha512]) {
          // The test client checks the ServerKeyExchange signature with that hash and the certificate's key.
          const { client } = connectOk(makeContext({ curve }), { signatureAlgorithms: [Sig.ecdsa_sha1, scheme] });
          assert.equal(client.serverKeyExchange!.signatureScheme, scheme, `${curve} 0x${scheme.toString(16)}`);
        }
      }
    });

    it("the certificate curve's own hash first, then stronger ones, SHA-224 last, whatever the client's order", () => {
      const all = [Sig.ecdsa_sha224, Sig.ecdsa_secp521r1_sha512, Sig.ecdsa_secp384r1_sha384, Sig.ecdsa_secp256r1_sha256];
      const chosen = (curve: 'P-256' | 'P-384', offered: number[]): number =>
        connectOk(makeContext({ curve }), { signatureAlgorithms: offered }).client.serverKeyExchange!.signatureScheme;
      assert.equal(chosen('P-256', all), Sig.ecdsa_secp256r1_sha256);
      assert.equal(chosen('P-384', all), Sig.ecdsa_secp384r1_sha384);
      assert.equal(chosen('P-256', [Sig.ecdsa_sha224, Sig.ecdsa_secp521r1_sha512, Sig.ecdsa_secp384r1_sha384]), Sig.ecdsa_secp384r1_sha384);
      assert.equal(chosen('P-384', [Sig.ecdsa_sha224, Sig.ecdsa_secp256r1_sha256, Sig.ecdsa_secp521r1_sha512]), Sig.ecdsa_secp521r1_sha512);
      assert.equal(chosen('P-384', [Sig.ecdsa_sha224, Sig.ecdsa_secp256r1_sha256]), Sig.ecdsa_secp256r1_sha256);
    });

    it('no ECDSA signature algorithm in common is handshake_failure', () => {
      expectHelloRefused(makeContext(), { signatureAlgorithms: [0x0401, 0x0804, 0x0807] }, A.handshake_failure, 'ERR_NO_SHARED_SIGALG');
    });
  });

  it('supported_groups without the certificate curve, or with nothing we do, is handshake_failure', () => {
    expectHelloRefused(makeContext({ curve: 'P-384' }), { groups: [Group.x25519, Group.secp256r1] }, A.handshake_failure, 'ERR_NO_SHARED_GROUP');
    expectHelloRefused(makeContext({ groups: 'X25519' }), { groups: [Group.secp256r1, Group.secp384r1] }, A.handshake_failure, 'ERR_NO_SHARED_GROUP');
  });

  it('ec_point_formats without uncompressed is illegal_parameter; compression methods without null are illegal_parameter (RFC 8446 §4.1.2)', () => {
    expectHelloRefused(makeContext(), { ecPointFormats: [1, 2] }, A.illegal_parameter);
    expectHelloRefused(makeContext(), { compressionMethods: [1] }, A.illegal_parameter, 'ERR_NO_COMPRESSION_SPECIFIED');
    expectHelloRefused(makeContext(), { compressionMethods: [1, 64, 255] }, A.illegal_parameter, 'ERR_NO_COMPRESSION_SPECIFIED');
    // An empty list does not even decode.
    expectHelloRefused(makeContext(), { compressionMethods: [] }, A.decode_error);
  });

  it('a non-empty renegotiation_info in an initial handshake is handshake_failure', () => {
    expectHelloRefused(makeContext(), { renegotiationInfo: new Uint8Array(12).fill(1) }, A.handshake_failure);
  });

  it('a session id longer than 32 bytes is decode_error', () => {
    expectHelloRefused(makeContext(), { sessionId: new Uint8Array(33) }, A.decode_error);
  });

  it('a ClientHello with bytes after its extensions block, or after its compression methods with no block, is decode_error', () => {
    const context = makeContext();
    const hello = new TlsClient().buildClientHello();
    const noBlock = new TlsClient({ extensions: null }).buildClientHello();
    for (const [body, name] of [[concat(hello.subarray(4), Uint8Array.of(0)), 'after the block'], [concat(noBlock.subarray(4), Uint8Array.of(0)), 'a 1-byte "block"']] as const) {
      const server = new ServerConnection(context);
      server.receive(fragmentIntoRecords(22, 0x0301, handshakeMessage(HandshakeType.client_hello, body), [16384]));
      assert.equal(server.error?.alert, A.decode_error, name);
      assert.equal(hex(server.takeOutput()!), plainAlert(A.decode_error), name);
    }
  });

  it('an extension body with trailing bytes is decode_error', () => {
    expectHelloRefused(makeContext(), { groups: null, extraExtensions: [ext(Ext.supported_groups, [0, 2, 0, 23, 0])] }, A.decode_error);
  });
});

describe('large ClientHellos: every list at its maximum is accepted', () => {
  /** The bytes of an extensions block holding `list`. */
  const blockSize = (list: readonly RawExtension[]): number => list.reduce((n, e) => n + 4 + e.data.length, 0);
  const u16s = (values: readonly number[]): Uint8Array => {
    const out = new Uint8Array(2 + 2 * values.length);
    out[0] = (2 * values.length) >>> 8;
    out[1] = (2 * values.length) & 0xff;
    values.forEach((v, i) => {
      out[2 + 2 * i] = v >>> 8;
      out[3 + 2 * i] = v & 0xff;
    });
    return out;
  };
  const minimal: RawExtension[] = [ext(Ext.signature_algorithms, u16s([Sig.ecdsa_secp256r1_sha256])), ext(Ext.supported_groups, u16s([Group.secp256r1])), ext(Ext.extended_master_secret)];

  it('one extension of 65,511 bytes (the extensions block full)', () => {
    const data = new Uint8Array(0xffff - blockSize(minimal) - 4).fill(0x61);
    const extensions = [...minimal, ext(0x7a7a, data)];
    assert.equal(blockSize(extensions), 0xffff);
    assert.equal(data.length, 65_511);
    connectOk(makeContext(), { extensions });
  });

  it('16,381 extensions: every 4-byte slot of the block, all distinct (the duplicate check is a Set, linear)', () => {
    const extensions = [...minimal];
    for (let type = 0x1000; blockSize(extensions) + 4 <= 0xffff; type++) extensions.push(ext(type));
    assert.equal(extensions.length, 16_381);
    const { server } = connectOk(makeContext(), { extensions });
    assert.equal(server.negotiated!.extendedMasterSecret, true);
  });

  it('32,760 signature algorithms, the only ECDSA one last', () => {
    const schemes: number[] = [];
    for (let v = 0x0100; schemes.length < 32_759; v++) if ((v & 0xff) !== 0x03) schemes.push(v);
    schemes.push(Sig.ecdsa_secp256r1_sha256);
    const extensions = [ext(Ext.signature_algorithms, u16s(schemes)), ext(Ext.supported_groups, u16s([Group.secp256r1]))];
    assert.ok(blockSize(extensions) <= 0xffff);
    const { client } = connectOk(makeContext(), { extensions, extendedMasterSecret: false });
    assert.equal(client.serverKeyExchange!.signatureScheme, Sig.ecdsa_secp256r1_sha256);
  });

  it(`the largest ClientHello (${LARGEST_CLIENT_HELLO_BODY} bytes: 32,767 suites, 255 compression methods, a full extensions block) completes; one byte more is decode_error`, () => {
    const options = largestHelloOptions({ cipherSuites: [Suite.CHACHA20] });
    const context = makeContext();
    const { client } = connectOk(context, options);
    assert.equal(client.clientHello!.length, 4 + LARGEST_CLIENT_HELLO_BODY);
    assert.equal(client.serverHello!.cipherSuite, Suite.CHACHA20);
    // One byte more (no list can grow, so the byte trails the extensions) is refused from the
    // header, in answer to the first record: nothing of the body is kept.
    const over = handshakeMessage(HandshakeType.client_hello, concat(client.clientHello!.subarray(4), Uint8Array.of(0)));
    const records = fragmentIntoRecords(22, 0x0301, over, [16384]);
    const server = new ServerConnection(context);
    server.receive(records.subarray(0, 5 + 16384));
    assert.equal(server.error?.alert, A.decode_error);
    assert.equal(server.error?.reason, 'ERR_EXCESSIVE_MESSAGE_SIZE');
    assert.equal(hex(server.takeOutput()!), plainAlert(A.decode_error));
    connectOk(context, options);
  });
});

describe('after the handshake', () => {
  it(`renegotiation ClientHellos: the first ${MAX_RENEGOTIATION_REFUSALS} get a no_renegotiation warning and the connection keeps working; the next is a fatal no_renegotiation`, () => {
    assert.equal(MAX_RENEGOTIATION_REFUSALS, 3, "node:tls's CLIENT_RENEG_LIMIT");
    const context = makeContext();
    const pair = connectOk(context);
    const { client, server } = pair;
    const hello = client.buildClientHello({ renegotiationInfo: new Uint8Array(12), random: new Uint8Array(32).fill(7) });
    for (let i = 1; i <= MAX_RENEGOTIATION_REFUSALS; i++) {
      server.receive(client.handshakeRecord(hello));
      assert.equal(server.error, undefined);
      client.receive(server.takeOutput()!);
      assert.equal(client.alerts.length, i);
      assert.deepEqual(client.alerts.at(-1), { level: 1, description: A.no_renegotiation, encrypted: true });
      assert.ok(server.handshakeComplete);
      exchangeData(pair);
    }
    server.receive(client.handshakeRecord(hello));
    assert.equal(server.error?.alert, A.no_renegotiation);
    assert.equal(server.error?.reason, 'ERR_TOO_MANY_RENEGOTIATIONS');
    client.receive(server.takeOutput()!);
    assert.deepEqual(client.alerts.at(-1), { level: 2, description: A.no_renegotiation, encrypted: true });
    assert.ok(server.closed);
    connectOk(context); // the next client is served
  });

  it('any other handshake message after the handshake is unexpected_message (encrypted alert)', () => {
    const { client, server } = connectOk(makeContext());
    server.receive(client.handshakeRecord(Uint8Array.of(HandshakeType.client_key_exchange, 0, 0, 2, 1, 4)));
    assert.equal(server.error?.alert, A.unexpected_message);
    client.receive(server.takeOutput()!);
    assert.deepEqual(client.alerts, [{ level: 2, description: A.unexpected_message, encrypted: true }]);
  });

  it('application data is cut into records of at most 2^14 bytes, both ways', () => {
    const pair = connectOk(makeContext());
    const { client, server } = pair;
    const data = Uint8Array.from({ length: 40000 }, (_, i) => (i * 7) & 0xff);
    server.write(data);
    const before = client.records.length;
    client.receive(server.takeOutput()!);
    assert.deepEqual(client.records.slice(before).map((r) => r.plaintext.length), [16384, 16384, 7232]);
    assert.equal(hex(client.takePlaintext()), hex(data));
    server.receive(client.write(data));
    assert.equal(hex(Buffer.concat(server.takePlaintext())), hex(data));
  });

  it('a protected record carrying 2^14 + 1 bytes of plaintext is record_overflow', () => {
    const { client, server } = connectOk(makeContext());
    server.receive(client.record(23, new Uint8Array(16385)));
    assert.equal(server.error?.alert, A.record_overflow);
    client.receive(server.takeOutput()!);
    assert.deepEqual(client.alerts, [{ level: 2, description: A.record_overflow, encrypted: true }]);
  });

  it('close_notify from the client is seen, and the server can still answer and close', () => {
    const pair = connectOk(makeContext());
    const { client, server } = pair;
    server.receive(client.closeNotify());
    assert.ok(server.receivedCloseNotify);
    assert.equal(server.error, undefined);
    assert.equal(server.closed, false);
    server.write(Uint8Array.of(1, 2, 3));
    server.close();
    assert.ok(server.sentCloseNotify);
    assert.ok(server.closed);
    client.receive(server.takeOutput()!);
    assert.equal(hex(client.takePlaintext()), '010203');
    assert.deepEqual(client.alerts, [{ level: 1, description: 0, encrypted: true }]);
    // Nothing is read after close_notify.
    server.receive(client.write(Uint8Array.of(9)));
    assert.equal(server.takePlaintext().length, 0);
  });

  it('close_notify from the server first; the client may still send until it closes too', () => {
    const { client, server } = connectOk(makeContext());
    server.close();
    assert.throws(() => server.write(Uint8Array.of(1)));
    client.receive(server.takeOutput()!);
    assert.ok(client.receivedCloseNotify);
    server.receive(client.write(Uint8Array.of(5)));
    assert.equal(hex(Buffer.concat(server.takePlaintext())), '05');
    server.receive(client.closeNotify());
    assert.ok(server.closed && server.error === undefined);
  });
});

describe('resumption', () => {
  it('session-ID resumption: abbreviated handshake, server CCS and Finished first, data flows', () => {
    const context = makeContext({ sessionCache: undefined });
    const first = connectOk(context, { cipherSuites: [Suite.CHACHA20] });
    const saved = first.client.session!;
    assert.equal(saved.sessionId.length, 32);
    assert.equal(hex(saved.sessionId), hex(first.server.session!.sessionId));

    const second = connectOk(context, { cipherSuites: [Suite.CHACHA20], resume: saved });
    assert.ok(second.client.resumed);
    assert.ok(second.server.isSessionReused);
    assert.equal(second.server.negotiated!.resumed, true);
    assert.equal(hex(second.client.serverHello!.sessionId), hex(saved.sessionId));
    assert.deepEqual(
      second.client.messages.map((m) => m.type),
      [HandshakeType.server_hello, HandshakeType.finished],
    );
    assert.deepEqual(second.client.records.map((r) => r.type), [22, 20, 22]);
    // New randoms, so new keys from the same master secret.
    assert.notEqual(hex(second.client.keys!.clientKey), hex(first.client.keys!.clientKey));
    exchangeData(second);
    assert.equal(context.stats.hits, 1);
  });

  it('with SNI: the abbreviated ServerHello carries no server_name (RFC 6066 §3); another name gets a full handshake', () => {
    const context = makeContext({ sessionCache: undefined });
    const saved = connectOk(context, { serverName: 'a.example' }).client.session!;
    const same = connectOk(context, { serverName: 'a.example', resume: saved, alpn: ['h2'] });
    assert.ok(same.client.resumed);
    assert.equal(serverExt(same.client, Ext.server_name), undefined);
    assert.equal(same.server.serverName, 'a.example');
    const other = connectOk(context, { serverName: 'b.example', resume: saved });
    assert.equal(other.client.resumed, false);
    assert.equal(hex(serverExt(other.client, Ext.server_name)!), '');
  });

  it('an unknown session id, or a suite the session did not use, gets a full handshake', () => {
    const context = makeContext({ sessionCache: undefined });
    const saved = connectOk(context, { cipherSuites: [Suite.AES128_GCM] }).client.session!;
    const unknown = connectOk(context, { resume: { ...saved, sessionId: new Uint8Array(32).fill(1) } });
    assert.equal(unknown.client.resumed, false);
    assert.equal(unknown.server.isSessionReused, false);
    const otherSuite = connectOk(context, { resume: saved, cipherSuites: [Suite.AES256_GCM] });
    assert.equal(otherSuite.client.resumed, false);
  });

  it('a bad client Finished in a resumed handshake gets an encrypted decrypt_error', () => {
    const context = makeContext({ sessionCache: undefined });
    const saved = connectOk(context).client.session!;
    const client = new TlsClient({ resume: saved, autoRespond: false });
    const server = new ServerConnection(context);
    server.receive(client.start());
    client.receive(server.takeOutput()!);
    assert.ok(client.resumed && client.serverFinishedVerified);
    server.receive(client.secondFlight({ tamperFinished: true }));
    assert.equal(server.error?.alert, A.decrypt_error);
    client.receive(server.takeOutput()!);
    assert.deepEqual(client.alerts, [{ level: 2, description: A.decrypt_error, encrypted: true }]);
    // RFC 5246 §7.2.2: the session is gone after a fatal alert.
    assert.equal(connectOk(context, { resume: saved }).client.resumed, false);
  });

  it('RFC 5077 tickets: an empty session_ticket gets a ticket, and the ticket resumes', () => {
    const context = makeContext({ sessionCache: false });
    const first = connectOk(context, { sessionTicket: empty });
    const ticket = first.client.newSessionTicket;
    if (!serverExt(first.client, Ext.session_ticket)) {
      // Tickets off in this build: nothing was promised and nothing may come.
      assert.equal(ticket, undefined);
      return;
    }
    assert.ok(ticket && ticket.ticket.length > 0, 'a NewSessionTicket with a ticket');
    const saved = first.client.session!;
    assert.ok(saved.ticket);
    const second = connectOk(context, { resume: saved });
    assert.ok(second.client.resumed, 'resumed from the ticket');
    assert.ok(second.server.isSessionReused);
    exchangeData(second);
  });
});
