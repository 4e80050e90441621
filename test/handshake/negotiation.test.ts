import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { ServerConnection } from '../../src/connection.js';
import { AlertDescription as A } from '../../src/errors.js';
import {
  DOWNGRADE_SENTINEL_TLS12,
  Ext,
  Group,
  HandshakeType,
  Sig,
  Suite,
  TlsClient,
  bytesEqual,
  hex,
  seededRandom,
  type RawExtension,
} from '../helpers/tls-client.js';
import { connectOk, exchangeData, expectHelloRefused, makeContext } from './harness.js';

const empty = new Uint8Array(0);
const ext = (type: number, data: number[] | Uint8Array = empty): RawExtension => ({ type, data: Uint8Array.from(data) });
const serverExt = (c: TlsClient, type: number): Uint8Array | undefined => c.serverHello!.extensions?.find((e) => e.type === type)?.data;

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
  it('no suite in common is handshake_failure', () => {
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
    const sent = client.serverHello!.extensions!.map((e) => e.type);
    for (const t of [0x3a3a, 0xfe0d, 5, 21, 22, 18]) assert.ok(!sent.includes(t), `server echoed unknown extension ${t}`);
  });

  it('no extensions block at all: secp256r1 and ecdsa_sha1 (RFC 4492/5246 defaults)', () => {
    const { client, server } = connectOk(makeContext(), { extensions: null });
    assert.equal(client.serverHello!.extensions, undefined);
    assert.equal(client.serverKeyExchange!.group, Group.secp256r1);
    assert.equal(client.serverKeyExchange!.signatureScheme, Sig.ecdsa_sha1);
    assert.equal(server.negotiated!.extendedMasterSecret, false);
  });

  it('signature_algorithms absent: the ServerKeyExchange is signed ecdsa_sha1 (0x0203) and verifies', () => {
    for (const curve of ['P-256', 'P-384'] as const) {
      const { client } = connectOk(makeContext({ curve }), { signatureAlgorithms: null });
      assert.equal(client.serverKeyExchange!.signatureScheme, Sig.ecdsa_sha1, curve);
    }
  });

  it('any ECDSA hash the client accepts is used with either curve (sha512 with P-256, sha256 with P-384)', () => {
    assert.equal(connectOk(makeContext({ curve: 'P-256' }), { signatureAlgorithms: [Sig.ecdsa_secp521r1_sha512] }).client.serverKeyExchange!.signatureScheme, Sig.ecdsa_secp521r1_sha512);
    assert.equal(connectOk(makeContext({ curve: 'P-384' }), { signatureAlgorithms: [Sig.ecdsa_secp256r1_sha256] }).client.serverKeyExchange!.signatureScheme, Sig.ecdsa_secp256r1_sha256);
  });

  it('no ECDSA signature algorithm in common is handshake_failure', () => {
    expectHelloRefused(makeContext(), { signatureAlgorithms: [0x0401, 0x0804, 0x0807] }, A.handshake_failure, 'ERR_NO_SHARED_SIGALG');
  });

  it('supported_groups without the certificate curve, or with nothing we do, is handshake_failure', () => {
    expectHelloRefused(makeContext({ curve: 'P-384' }), { groups: [Group.x25519, Group.secp256r1] }, A.handshake_failure, 'ERR_NO_SHARED_GROUP');
    expectHelloRefused(makeContext({ groups: 'X25519' }), { groups: [Group.secp256r1, Group.secp384r1] }, A.handshake_failure, 'ERR_NO_SHARED_GROUP');
  });

  it('ec_point_formats without uncompressed is illegal_parameter; no null compression is decode_error', () => {
    expectHelloRefused(makeContext(), { ecPointFormats: [1, 2] }, A.illegal_parameter);
    expectHelloRefused(makeContext(), { compressionMethods: [1] }, A.decode_error);
  });

  it('a non-empty renegotiation_info in an initial handshake is handshake_failure', () => {
    expectHelloRefused(makeContext(), { renegotiationInfo: new Uint8Array(12).fill(1) }, A.handshake_failure);
  });

  it('a session id longer than 32 bytes is decode_error', () => {
    expectHelloRefused(makeContext(), { sessionId: new Uint8Array(33) }, A.decode_error);
  });

  it('an extension body with trailing bytes is decode_error', () => {
    expectHelloRefused(makeContext(), { groups: null, extraExtensions: [ext(Ext.supported_groups, [0, 2, 0, 23, 0])] }, A.decode_error);
  });
});

describe('after the handshake', () => {
  it('a renegotiation ClientHello gets a no_renegotiation warning and the connection keeps working', () => {
    const pair = connectOk(makeContext());
    const { client, server } = pair;
    const hello = client.buildClientHello({ renegotiationInfo: new Uint8Array(12), random: new Uint8Array(32).fill(7) });
    server.receive(client.handshakeRecord(hello));
    assert.equal(server.error, undefined);
    client.receive(server.takeOutput()!);
    assert.deepEqual(client.alerts, [{ level: 1, description: A.no_renegotiation, encrypted: true }]);
    assert.ok(server.handshakeComplete);
    exchangeData(pair);
    // And a second attempt is refused the same way.
    server.receive(client.handshakeRecord(hello));
    client.receive(server.takeOutput()!);
    assert.equal(client.alerts.length, 2);
    exchangeData(pair);
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
