/**
 * Every handshake message's codec, both directions (src/handshake/messages/): decode is
 * total on hostile bytes (a value or a TlsError, which becomes an alert), and
 * decode(encode(v)) = v for arbitrary valid values.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'mocha';
import { ExtensionType, HandshakeType } from '../../src/codec/enums.js';
import { Reader } from '../../src/codec/reader.js';
import { Writer } from '../../src/codec/writer.js';
import {
  decodeCertificate,
  decodeCertificateRequest,
  decodeCertificateVerify,
  encodeCertificate,
  encodeCertificateRequest,
  encodeCertificateVerify,
  type CertificateRequest,
  type CertificateVerify,
} from '../../src/handshake/messages/certificate.js';
import {
  encodeClientExtensions,
  noClientExtensions,
  parseClientExtensions,
  readExtensions,
  writeExtensions,
  type ClientExtensions,
  type RawExtension,
} from '../../src/handshake/messages/extensions.js';
import { decodeFinished, encodeFinished } from '../../src/handshake/messages/finished.js';
import { frameHandshake, handshakeBody } from '../../src/handshake/messages/framing.js';
import {
  decodeClientHello,
  decodeServerHello,
  encodeClientHello,
  encodeServerHello,
  type ClientHello,
  type ServerHello,
  type ServerHelloExtensions,
} from '../../src/handshake/messages/hello.js';
import {
  decodeClientKeyExchange,
  decodeServerHelloDone,
  decodeServerKeyExchange,
  encodeClientKeyExchange,
  encodeEcdheParams,
  encodeServerHelloDone,
  encodeServerKeyExchange,
  type ServerKeyExchange,
} from '../../src/handshake/messages/key-exchange.js';
import { decodeNewSessionTicket, encodeNewSessionTicket, type NewSessionTicket } from '../../src/handshake/messages/ticket.js';
import { WIRE_ERRORS, bytes, rec, expectTotal, hostile, latin1String, runs, u16, u32, u8 } from './arbitraries.js';

const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });
const KNOWN_EXTENSIONS = new Set<number>([
  ExtensionType.server_name,
  ExtensionType.supported_groups,
  ExtensionType.ec_point_formats,
  ExtensionType.signature_algorithms,
  ExtensionType.application_layer_protocol_negotiation,
  ExtensionType.extended_master_secret,
  ExtensionType.renegotiation_info,
  ExtensionType.session_ticket,
  ExtensionType.supported_versions,
]);

/** Valid ClientHello extensions: each typed field in its valid range, unknown types (GREASE included) with empty bodies, any order. */
const clientExtensions: fc.Arbitrary<ClientExtensions> = rec({
    serverName: opt(latin1String(1, 255, 0x21, 0x7e)),
    supportedGroups: opt(fc.array(u16, { minLength: 1, maxLength: 40 })),
    ecPointFormats: opt(bytes(1, 8)),
    signatureAlgorithms: opt(fc.array(u16, { minLength: 1, maxLength: 40 })),
    alpnProtocols: opt(fc.array(latin1String(1, 32), { minLength: 1, maxLength: 6 })),
    extendedMasterSecret: fc.boolean(),
    renegotiationInfo: opt(bytes(0, 32)),
    sessionTicket: opt(bytes(0, 300)),
    supportedVersions: opt(fc.array(u16, { minLength: 1, maxLength: 10 })),
    unknown: fc.uniqueArray(u16.filter((t) => !KNOWN_EXTENSIONS.has(t)), { maxLength: 6 }),
  })
  .chain(({ unknown, ...fields }) => {
    const present: number[] = [...unknown];
    const has: [number, boolean][] = [
      [ExtensionType.server_name, fields.serverName !== undefined],
      [ExtensionType.supported_groups, fields.supportedGroups !== undefined],
      [ExtensionType.ec_point_formats, fields.ecPointFormats !== undefined],
      [ExtensionType.signature_algorithms, fields.signatureAlgorithms !== undefined],
      [ExtensionType.application_layer_protocol_negotiation, fields.alpnProtocols !== undefined],
      [ExtensionType.extended_master_secret, fields.extendedMasterSecret],
      [ExtensionType.renegotiation_info, fields.renegotiationInfo !== undefined],
      [ExtensionType.session_ticket, fields.sessionTicket !== undefined],
      [ExtensionType.supported_versions, fields.supportedVersions !== undefined],
    ];
    for (const [type, on] of has) if (on) present.push(type);
    return fc
      .shuffledSubarray(present, { minLength: present.length, maxLength: present.length })
      .map((types): ClientExtensions => ({ ...fields, types }));
  });

const clientHello: fc.Arbitrary<ClientHello> = rec({
  clientVersion: u16,
  random: bytes(32, 32),
  sessionId: bytes(0, 32),
  cipherSuites: fc.array(u16, { minLength: 1, maxLength: 60 }),
  compressionMethods: bytes(1, 8),
  extensions: clientExtensions,
});

const serverHelloExtensions: fc.Arbitrary<ServerHelloExtensions> = rec({
  renegotiationInfo: fc.boolean(),
  extendedMasterSecret: fc.boolean(),
  ecPointFormats: fc.boolean(),
  serverNameAck: fc.boolean(),
  sessionTicket: fc.boolean(),
  alpnProtocol: opt(latin1String(1, 40)),
});

const serverHello: fc.Arbitrary<ServerHello> = rec({
  version: u16,
  random: bytes(32, 32),
  sessionId: bytes(0, 32),
  cipherSuite: u16,
  extensions: serverHelloExtensions,
});

const chain = fc.array(bytes(1, 300), { maxLength: 5 });
const certificateRequest: fc.Arbitrary<CertificateRequest> = rec({
  certificateTypes: fc.array(u8, { minLength: 1, maxLength: 8 }),
  signatureSchemes: fc.array(u16, { minLength: 1, maxLength: 30 }),
  authorities: fc.array(bytes(1, 100), { maxLength: 5 }),
});
const certificateVerify: fc.Arbitrary<CertificateVerify> = rec({ scheme: u16, signature: bytes(0, 600) });
const serverKeyExchange: fc.Arbitrary<ServerKeyExchange> = rec({ group: u16, publicKey: bytes(1, 255), signatureScheme: u16, signature: bytes(0, 600) })
  .map((v) => ({ ...v, params: encodeEcdheParams(v.group, v.publicKey) }));
const newSessionTicket: fc.Arbitrary<NewSessionTicket> = rec({ lifetimeHint: u32, ticket: bytes(0, 1000) });

/** Each family: its arbitrary value, the message the encoder makes, and the decoder of the body. */
interface Family<T> {
  name: string;
  type: HandshakeType;
  values: fc.Arbitrary<T>;
  encode(v: T): Uint8Array;
  decode(body: Uint8Array): unknown;
}

const family = <T>(f: Family<T>): Family<unknown> => f as Family<unknown>;

const FAMILIES: Family<unknown>[] = [
  family({ name: 'ClientHello', type: HandshakeType.client_hello, values: clientHello, encode: encodeClientHello, decode: decodeClientHello }),
  family({ name: 'ServerHello', type: HandshakeType.server_hello, values: serverHello, encode: encodeServerHello, decode: decodeServerHello }),
  family({ name: 'Certificate', type: HandshakeType.certificate, values: chain, encode: encodeCertificate, decode: decodeCertificate }),
  family({
    name: 'CertificateRequest',
    type: HandshakeType.certificate_request,
    values: certificateRequest,
    encode: (v) => encodeCertificateRequest(v.signatureSchemes, v.certificateTypes, v.authorities),
    decode: decodeCertificateRequest,
  }),
  family({
    name: 'CertificateVerify',
    type: HandshakeType.certificate_verify,
    values: certificateVerify,
    encode: encodeCertificateVerify,
    decode: decodeCertificateVerify,
  }),
  family({
    name: 'ServerKeyExchange',
    type: HandshakeType.server_key_exchange,
    values: serverKeyExchange,
    encode: (v) => encodeServerKeyExchange(v.params, v.signatureScheme, v.signature),
    decode: decodeServerKeyExchange,
  }),
  family({
    name: 'ServerHelloDone',
    type: HandshakeType.server_hello_done,
    values: fc.constant(undefined),
    encode: encodeServerHelloDone,
    decode: decodeServerHelloDone,
  }),
  family({
    name: 'ClientKeyExchange',
    type: HandshakeType.client_key_exchange,
    values: bytes(1, 255),
    encode: encodeClientKeyExchange,
    decode: decodeClientKeyExchange,
  }),
  family({ name: 'Finished', type: HandshakeType.finished, values: bytes(12, 12), encode: encodeFinished, decode: decodeFinished }),
  family({
    name: 'NewSessionTicket',
    type: HandshakeType.new_session_ticket,
    values: newSessionTicket,
    encode: (v) => encodeNewSessionTicket(v.lifetimeHint, v.ticket),
    decode: decodeNewSessionTicket,
  }),
];

describe('handshake message codecs (property tests, fast-check)', () => {
  for (const f of FAMILIES) {
    describe(f.name, () => {
      it('decode(encode(v)) = v, with a header of its type and length', () => {
        fc.assert(
          fc.property(f.values, (v) => {
            const message = f.encode(v);
            const body = handshakeBody(message, f.type);
            assert.equal(body.length, message.length - 4);
            assert.deepStrictEqual(f.decode(body), v);
          }),
          runs(300),
        );
      });

      it('decode is total: random bytes and mutated encodings give a value or a TlsError', () => {
        fc.assert(
          fc.property(
            hostile(f.values, (v) => f.encode(v).subarray(4)),
            (body) => expectTotal(() => f.decode(body), WIRE_ERRORS),
          ),
          runs(1000),
        );
      });
    });
  }

  it('ClientHello extensions: encodeClientExtensions and parseClientExtensions are inverses; readExtensions sees the same (type, body) pairs', () => {
    fc.assert(
      fc.property(clientExtensions, (ext) => {
        const list = encodeClientExtensions(ext);
        const w = new Writer();
        writeExtensions(w, list);
        const block = w.finish().slice();
        assert.deepStrictEqual(parseClientExtensions(new Reader(block)), ext);
        const raw: RawExtension[] = readExtensions(new Reader(block));
        assert.deepStrictEqual(raw, list);
      }),
      runs(300),
    );
  });

  it('ClientHello extensions: parsing any block is total', () => {
    const encodeBlock = (ext: ClientExtensions): Uint8Array => {
      const w = new Writer();
      writeExtensions(w, encodeClientExtensions(ext));
      return w.finish().slice();
    };
    fc.assert(
      fc.property(hostile(clientExtensions, encodeBlock), (block) => {
        expectTotal(() => parseClientExtensions(new Reader(block)), WIRE_ERRORS);
        expectTotal(() => readExtensions(new Reader(block)), WIRE_ERRORS);
      }),
      runs(1000),
    );
  });

  it('encodeClientExtensions refuses a value that no ClientHello has (a field without its type, a type without its field)', () => {
    const base = noClientExtensions();
    assert.throws(() => encodeClientExtensions({ ...base, serverName: 'a.example' }), RangeError);
    assert.throws(() => encodeClientExtensions({ ...base, types: [ExtensionType.supported_groups] }), RangeError);
    assert.deepStrictEqual(encodeClientExtensions({ ...base, types: [0x0a0a] }), [{ type: 0x0a0a, data: new Uint8Array(0) }]);
  });

  it('handshake framing: handshakeBody(frameHandshake(t, b), t) = b, and any other bytes give a body or a TlsError', () => {
    fc.assert(
      fc.property(u8, bytes(0, 2000), (type, body) => {
        assert.deepStrictEqual(handshakeBody(frameHandshake(type, body), type), body);
      }),
      runs(300),
    );
    fc.assert(
      fc.property(u8, bytes(0, 64), (type, raw) => expectTotal(() => handshakeBody(raw, type), WIRE_ERRORS)),
      runs(1000),
    );
  });
});
