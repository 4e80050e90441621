import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { ServerConnection } from '../../src/connection.js';
import { loadCertificateChain } from '../../src/pki/index.js';
import { testCertificate } from '../helpers/fixtures.js';
import { ContentType, Ext, Group, HandshakeType, Sig, Suite, TlsClient, concat, fragmentIntoRecords, hex, seededRandom } from '../helpers/tls-client.js';
import { connectOk, exchangeData, makeContext, type Curve } from '../helpers/handshake-harness.js';
import { pump } from '../helpers/in-memory.js';

const SUITE_NAMES: Record<number, [string, string]> = {
  [Suite.AES128_GCM]: ['ECDHE-ECDSA-AES128-GCM-SHA256', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'],
  [Suite.AES256_GCM]: ['ECDHE-ECDSA-AES256-GCM-SHA384', 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384'],
  [Suite.CHACHA20]: ['ECDHE-ECDSA-CHACHA20-POLY1305', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256'],
};
const GROUP_NAMES: Record<number, [string, string]> = {
  [Group.x25519]: ['X25519', 'X25519'],
  [Group.secp256r1]: ['P-256', 'prime256v1'],
  [Group.secp384r1]: ['P-384', 'secp384r1'],
};
const MATCHING_SIG: Record<Curve, number> = { 'P-256': Sig.ecdsa_secp256r1_sha256, 'P-384': Sig.ecdsa_secp384r1_sha384 };

describe('full handshakes, in memory', () => {
  for (const curve of ['P-256', 'P-384'] as const) {
    for (const suite of [Suite.AES128_GCM, Suite.AES256_GCM, Suite.CHACHA20]) {
      for (const group of [Group.x25519, Group.secp256r1, Group.secp384r1]) {
        const [groupConfig, groupName] = GROUP_NAMES[group]!;
        it(`${SUITE_NAMES[suite]![0]} over ${groupName}, ${curve} certificate`, () => {
          const context = makeContext({ curve, groups: groupConfig });
          const pair = connectOk(context, { cipherSuites: [suite], rng: seededRandom(`full ${curve} ${suite} ${group}`) });
          const { client, server } = pair;
          // What was negotiated, seen from both sides.
          assert.equal(client.serverHello!.cipherSuite, suite);
          assert.equal(client.serverKeyExchange!.group, group);
          assert.deepEqual(server.cipher, { name: SUITE_NAMES[suite]![0], standardName: SUITE_NAMES[suite]![1], version: 'TLSv1.2' });
          assert.equal(server.groupName, groupName);
          assert.equal(server.protocol, 'TLSv1.2');
          assert.equal(server.isSessionReused, false);
          // The certificate chain is the configured one, and the signature scheme matches its curve.
          assert.deepEqual(client.serverCertificates.map(hex), loadCertificateChain(testCertificate(curve).certPem).map(hex));
          assert.equal(client.serverKeyExchange!.signatureScheme, MATCHING_SIG[curve]);
          // The server's flights: one handshake record for the first, then CCS and an encrypted Finished.
          const types = client.records.map((r) => r.type);
          assert.deepEqual(types, [ContentType.handshake, ContentType.change_cipher_spec, ContentType.handshake]);
          assert.deepEqual(
            client.messages.map((m) => m.type),
            [HandshakeType.server_hello, HandshakeType.certificate, HandshakeType.server_key_exchange, HandshakeType.server_hello_done, HandshakeType.finished],
          );
          assert.ok(client.records.every((r) => r.version === 0x0303));
          assert.ok(client.records[2]!.encrypted);
          exchangeData(pair, 3000);
        });
      }
    }
  }

  it('the server prefers its own suite order by default, the client order when told to', () => {
    const offered = [Suite.CHACHA20, Suite.AES256_GCM, Suite.AES128_GCM];
    assert.equal(connectOk(makeContext(), { cipherSuites: offered }).client.serverHello!.cipherSuite, Suite.AES128_GCM);
    const clientOrder = makeContext({ clientCipherPreference: true });
    assert.equal(connectOk(clientOrder, { cipherSuites: offered }).client.serverHello!.cipherSuite, Suite.CHACHA20);
  });

  it('the server prefers its own group order (X25519 first) among those offered', () => {
    const { server, client } = connectOk(makeContext(), { groups: [Group.secp384r1, Group.secp256r1, Group.x25519] });
    assert.equal(client.serverKeyExchange!.group, Group.x25519);
    assert.equal(server.groupName, 'X25519');
  });

  it('a ClientHello cut into 1-byte records, and a client flight fed one byte at a time, still complete', () => {
    const client = new TlsClient({ rng: seededRandom('tiny records') });
    const server = new ServerConnection(makeContext());
    const hello = client.start();
    server.receive(fragmentIntoRecords(ContentType.handshake, 0x0301, hello.subarray(5), [1]));
    client.receive(server.takeOutput()!);
    const flight = client.takeOutput()!;
    for (let i = 0; i < flight.length; i++) server.receive(flight.subarray(i, i + 1));
    pump(client, server);
    assert.ok(server.handshakeComplete && client.handshakeComplete);
    exchangeData({ client, server });
  });

  it('application data sent right behind the client Finished is delivered after the handshake', () => {
    const client = new TlsClient({ autoRespond: false });
    const server = new ServerConnection(makeContext());
    server.receive(client.start());
    client.receive(server.takeOutput()!);
    const flight = client.secondFlight();
    const early = concat(flight, client.record(ContentType.application_data, new TextEncoder().encode('eager')));
    server.receive(early);
    assert.equal(server.error, undefined);
    assert.ok(server.handshakeComplete);
    assert.equal(Buffer.concat(server.takePlaintext()).toString(), 'eager');
    client.receive(server.takeOutput()!);
    assert.ok(client.handshakeComplete);
  });

  it('the ClientHello record may carry any 3.x version; the server answers in 3.3', () => {
    for (const recordVersion of [0x0300, 0x0301, 0x0302, 0x0303]) {
      const { client } = connectOk(makeContext(), { recordVersion });
      assert.ok(client.records.every((r) => r.version === 0x0303));
    }
  });

  it('a client_version above TLS 1.2 (without supported_versions) is answered with TLS 1.2', () => {
    const { client } = connectOk(makeContext(), { clientVersion: 0x0304 });
    assert.equal(client.serverHello!.version, 0x0303);
    const { client: far } = connectOk(makeContext(), { clientVersion: 0x03ff });
    assert.equal(far.serverHello!.version, 0x0303);
  });

  it('echoes ec_point_formats and renegotiation_info only when the client sent them', () => {
    const types = (c: TlsClient): number[] => c.serverHello!.extensionList?.map((e) => e.type) ?? [];
    const withAll = connectOk(makeContext()).client;
    assert.ok(types(withAll).includes(Ext.ec_point_formats));
    assert.ok(types(withAll).includes(Ext.renegotiation_info));
    assert.equal(hex(withAll.serverHello!.extensionList!.find((e) => e.type === Ext.ec_point_formats)!.data), '0100');
    const bare = connectOk(makeContext(), { ecPointFormats: null, renegotiationInfo: null, extendedMasterSecret: false }).client;
    assert.deepEqual(types(bare), []);
    // RFC 5746: the signalling suite counts like an empty renegotiation_info.
    const scsv = connectOk(makeContext(), { renegotiationInfo: null, cipherSuites: [Suite.AES128_GCM, Suite.EMPTY_RENEGOTIATION_INFO_SCSV] });
    assert.ok(types(scsv.client).includes(Ext.renegotiation_info));
    assert.equal(scsv.server.negotiated!.secureRenegotiation, true);
  });
});

describe('the test client checks what it is told (so the handshake tests can fail)', () => {
  it('a ServerKeyExchange signature with one bit flipped is refused by the client', () => {
    const client = new TlsClient();
    const server = new ServerConnection(makeContext());
    server.receive(client.start());
    const flight = server.takeOutput()!;
    // The flight ends ... signature || ServerHelloDone (4 bytes): flip the signature's last byte.
    const tampered = flight.slice();
    tampered[tampered.length - 5]! ^= 0x01;
    assert.throws(() => client.receive(tampered), /ServerKeyExchange signature does not verify/);
  });

  it('a server Finished record with one bit flipped is refused by the client', () => {
    const client = new TlsClient();
    const server = new ServerConnection(makeContext());
    server.receive(client.start());
    client.receive(server.takeOutput()!);
    server.receive(client.takeOutput()!);
    const final = server.takeOutput()!;
    const tampered = final.slice();
    tampered[tampered.length - 1]! ^= 0x80;
    assert.throws(() => client.receive(tampered), /cannot decrypt/);
    assert.equal(client.handshakeComplete, false);
  });
});
