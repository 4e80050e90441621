import { latin1Bytes, latin1String } from '../../codec/bytes.js';
import { ExtensionType, HandshakeType } from '../../codec/enums.js';
import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { AlertDescription, TlsError } from '../../errors.js';
import {
  type ClientExtensions,
  type RawExtension,
  encodeClientExtensions,
  noClientExtensions,
  parseClientExtensions,
  writeExtensions,
} from './extensions.js';
import { encodeHandshake } from './framing.js';

export interface ClientHello {
  clientVersion: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  /** Offered suites in client order, unknown and signalling values included. */
  cipherSuites: number[];
  compressionMethods: Uint8Array;
  extensions: ClientExtensions;
}


/** RFC 5246 §7.4.1.2. `body` is the message without its 4-byte header. */
export function decodeClientHello(body: Uint8Array): ClientHello {
  const r = new Reader(body);
  const clientVersion = r.u16();
  const random = r.bytes(32);
  const sessionId = r.vec8();
  if (sessionId.length > 32) throw new TlsError(AlertDescription.decode_error, 'session id longer than 32 bytes');
  const suites = r.sub16();
  if (suites.remaining === 0 || suites.remaining % 2 !== 0) {
    throw new TlsError(AlertDescription.decode_error, 'bad cipher_suites length');
  }
  const cipherSuites: number[] = [];
  while (suites.remaining > 0) cipherSuites.push(suites.u16());
  const compressionMethods = r.vec8();
  if (compressionMethods.length === 0) throw new TlsError(AlertDescription.decode_error, 'empty compression_methods');
  // The extensions block is optional (RFC 5246 §7.4.1.2), but when present it must fill the rest.
  let extensions: ClientExtensions;
  if (r.remaining === 0) {
    extensions = noClientExtensions();
  } else {
    extensions = parseClientExtensions(r.sub16());
    r.expectEmpty('ClientHello');
  }
  return { clientVersion, random, sessionId, cipherSuites, compressionMethods, extensions };
}

/** The fields of a ClientHello other than its extensions. */
export type ClientHelloFields = Omit<ClientHello, 'extensions'>;

/**
 * The ClientHello message (header included), its extensions written from their typed
 * fields in `extensions.types` order: the inverse of decodeClientHello. No extensions, no
 * block (RFC 5246 §7.4.1.2 lets a client leave it out).
 */
export function encodeClientHello(hello: ClientHello): Uint8Array {
  const extensions = encodeClientExtensions(hello.extensions);
  return encodeClientHelloWith(hello, extensions.length > 0 ? extensions : null);
}

/**
 * The ClientHello message with its extensions given as they go on the wire, in order
 * (duplicates and malformed bodies included, for tests that misbehave); null leaves the
 * block out, an empty list sends an empty block.
 */
export function encodeClientHelloWith(hello: ClientHelloFields, extensions: readonly RawExtension[] | null): Uint8Array {
  const size = 80 + hello.cipherSuites.length * 2 + (extensions?.reduce((n, e) => n + 4 + e.data.length, 2) ?? 0);
  return encodeHandshake(
    HandshakeType.client_hello,
    (w) => {
      w.u16(hello.clientVersion).bytes(hello.random).vec8(hello.sessionId);
      w.lengthPrefixed(2, (l) => {
        for (const s of hello.cipherSuites) l.u16(s);
      });
      w.vec8(hello.compressionMethods);
      if (extensions !== null) w.lengthPrefixed(2, (l) => writeExtensions(l, extensions));
    },
    size,
  );
}

/** What goes into our ServerHello's extensions block. */
export interface ServerHelloExtensions {
  /** RFC 5746: echo an empty renegotiation_info when the client signalled support. */
  renegotiationInfo: boolean;
  extendedMasterSecret: boolean;
  /** RFC 8422 §5.2: echo when the client sent ec_point_formats. */
  ecPointFormats: boolean;
  /** RFC 6066 §3: an empty server_name when we used the client's SNI (full handshakes). */
  serverNameAck: boolean;
  /** RFC 5077: an empty session_ticket when we will send NewSessionTicket. */
  sessionTicket: boolean;
  alpnProtocol: string | undefined;
}

export interface ServerHello {
  version: number;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuite: number;
  extensions: ServerHelloExtensions;
}

function writeServerExtensions(w: Writer, e: ServerHelloExtensions): void {
  const empty = (type: number): void => {
    w.u16(type).u16(0);
  };
  if (e.serverNameAck) empty(ExtensionType.server_name);
  if (e.renegotiationInfo) w.u16(ExtensionType.renegotiation_info).u16(1).u8(0);
  if (e.ecPointFormats) w.u16(ExtensionType.ec_point_formats).u16(2).u8(1).u8(0);
  if (e.sessionTicket) empty(ExtensionType.session_ticket);
  if (e.extendedMasterSecret) empty(ExtensionType.extended_master_secret);
  if (e.alpnProtocol !== undefined) {
    const name = latin1Bytes(e.alpnProtocol);
    w.u16(ExtensionType.application_layer_protocol_negotiation).lengthPrefixed(2, (b) => {
      b.lengthPrefixed(2, (l) => {
        l.vec8(name);
      });
    });
  }
}

export function encodeServerHello(hello: ServerHello): Uint8Array {
  const ext = new Writer(64);
  writeServerExtensions(ext, hello.extensions);
  return encodeHandshake(HandshakeType.server_hello, (w) => {
    w.u16(hello.version).bytes(hello.random).vec8(hello.sessionId).u16(hello.cipherSuite).u8(0);
    // Old clients choke on an empty extensions block; leave it out when there is nothing.
    if (ext.length > 0) w.vec16(ext.finish());
  });
}

const NO_SERVER_EXTENSIONS: Readonly<ServerHelloExtensions> = {
  renegotiationInfo: false,
  extendedMasterSecret: false,
  ecPointFormats: false,
  serverNameAck: false,
  sessionTicket: false,
  alpnProtocol: undefined,
};

/**
 * RFC 5246 §7.4.1.3, the client's side: the inverse of encodeServerHello. Only what a
 * server may answer a TLS 1.2 client with: null compression, and the extensions that
 * ServerHelloExtensions names, each at most once and in its only valid form. An extension
 * a client never offers is unsupported_extension (RFC 5246 §7.4.1.4).
 */
export function decodeServerHello(body: Uint8Array): ServerHello {
  const r = new Reader(body);
  const version = r.u16();
  const random = r.bytes(32);
  const sessionId = r.vec8();
  if (sessionId.length > 32) throw new TlsError(AlertDescription.decode_error, 'session id longer than 32 bytes');
  const cipherSuite = r.u16();
  const compression = r.u8();
  if (compression !== 0) throw new TlsError(AlertDescription.illegal_parameter, `ServerHello chose compression method ${compression}`);
  const extensions = r.remaining === 0 ? { ...NO_SERVER_EXTENSIONS } : parseServerHelloExtensions(r.sub16());
  r.expectEmpty('ServerHello');
  return { version, random, sessionId, cipherSuite, extensions };
}

function parseServerHelloExtensions(block: Reader): ServerHelloExtensions {
  const ext: ServerHelloExtensions = { ...NO_SERVER_EXTENSIONS };
  const seen = new Set<number>();
  const empty = (r: Reader, what: string): true => {
    r.expectEmpty(what);
    return true;
  };
  while (block.remaining > 0) {
    const type = block.u16();
    const r = block.sub16();
    if (seen.has(type)) throw new TlsError(AlertDescription.illegal_parameter, `duplicate ServerHello extension ${type}`);
    seen.add(type);
    switch (type) {
      case ExtensionType.server_name:
        ext.serverNameAck = empty(r, 'server_name');
        break;
      case ExtensionType.renegotiation_info:
        // RFC 5746 §3.4: an initial handshake's answer is an empty renegotiated_connection.
        if (r.vec8().length !== 0) throw new TlsError(AlertDescription.handshake_failure, 'non-empty renegotiation_info');
        ext.renegotiationInfo = empty(r, 'renegotiation_info');
        break;
      case ExtensionType.ec_point_formats: {
        const formats = r.vec8();
        if (formats.length === 0) throw new TlsError(AlertDescription.decode_error, 'ec_point_formats: empty list');
        if (!formats.includes(0)) throw new TlsError(AlertDescription.illegal_parameter, 'ec_point_formats without uncompressed');
        ext.ecPointFormats = empty(r, 'ec_point_formats');
        break;
      }
      case ExtensionType.session_ticket:
        ext.sessionTicket = empty(r, 'session_ticket');
        break;
      case ExtensionType.extended_master_secret:
        ext.extendedMasterSecret = empty(r, 'extended_master_secret');
        break;
      case ExtensionType.application_layer_protocol_negotiation: {
        // RFC 7301 §3.1: exactly one protocol name.
        const list = r.sub16();
        r.expectEmpty('ALPN');
        const name = list.vec8();
        list.expectEmpty('ALPN protocol list');
        if (name.length === 0) throw new TlsError(AlertDescription.decode_error, 'ALPN: empty protocol name');
        ext.alpnProtocol = latin1String(name);
        break;
      }
      default:
        throw new TlsError(AlertDescription.unsupported_extension, `ServerHello extension ${type} was never offered`);
    }
  }
  return ext;
}
