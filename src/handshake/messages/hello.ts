import { ExtensionType, HandshakeType } from '../../codec/enums.js';
import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { AlertDescription, TlsError } from '../../errors.js';
import { type ClientExtensions, latin1Bytes, parseClientExtensions } from './extensions.js';
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

const NO_EXTENSIONS = (): ClientExtensions => parseClientExtensions(new Reader(new Uint8Array(0)));

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
    extensions = NO_EXTENSIONS();
  } else {
    extensions = parseClientExtensions(r.sub16());
    r.expectEmpty('ClientHello');
  }
  return { clientVersion, random, sessionId, cipherSuites, compressionMethods, extensions };
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

function writeExtensions(w: Writer, e: ServerHelloExtensions): void {
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
  writeExtensions(ext, hello.extensions);
  return encodeHandshake(HandshakeType.server_hello, (w) => {
    w.u16(hello.version).bytes(hello.random).vec8(hello.sessionId).u16(hello.cipherSuite).u8(0);
    // Old clients choke on an empty extensions block; leave it out when there is nothing.
    if (ext.length > 0) w.vec16(ext.finish());
  });
}
