import { latin1Bytes, latin1String } from '../../codec/bytes.js';
import { ExtensionType } from '../../codec/enums.js';
import { Reader } from '../../codec/reader.js';
import { Writer } from '../../codec/writer.js';
import { AlertDescription, TlsError } from '../../errors.js';

/** An extension as it is on the wire: its type and its body, not parsed. */
export interface RawExtension {
  type: number;
  data: Uint8Array;
}

/**
 * The ClientHello extensions puretls acts on, each parsed strictly (a body must be consumed
 * exactly). Unknown extensions, GREASE included, are kept only as type numbers.
 */
export interface ClientExtensions {
  /** Extension types in the order received. */
  types: number[];
  serverName: string | undefined;
  supportedGroups: number[] | undefined;
  ecPointFormats: Uint8Array | undefined;
  signatureAlgorithms: number[] | undefined;
  /** ALPN protocol names as byte-preserving (latin1) strings. */
  alpnProtocols: string[] | undefined;
  extendedMasterSecret: boolean;
  /** RFC 5746 renegotiated_connection, when the extension is present. */
  renegotiationInfo: Uint8Array | undefined;
  /** RFC 5077: the ticket (possibly empty) when the extension is present. */
  sessionTicket: Uint8Array | undefined;
  supportedVersions: number[] | undefined;
}

function decodeError(message: string): TlsError {
  return new TlsError(AlertDescription.decode_error, message);
}

function u16List(r: Reader, what: string): number[] {
  const list = r.sub16();
  if (list.remaining === 0 || list.remaining % 2 !== 0) throw decodeError(`${what}: bad list length`);
  const out: number[] = [];
  while (list.remaining > 0) out.push(list.u16());
  return out;
}

/**
 * RFC 6066 §3's HostName is at most 255 bytes (a DNS name's limit); OpenSSL
 * (TLSEXT_MAXLEN_host_name) refuses a longer one with unrecognized_name, and so do we, so
 * no oversized name reaches the SNI callback or a session.
 */
export const MAX_HOST_NAME_LENGTH = 255;

/** RFC 6066 §3: at most one host_name; other name types are skipped. */
function parseServerName(r: Reader): string {
  const list = r.sub16();
  if (list.remaining === 0) throw decodeError('server_name: empty list');
  let hostName: string | undefined;
  while (list.remaining > 0) {
    const nameType = list.u8();
    const name = list.vec16();
    if (nameType !== 0) continue;
    if (hostName !== undefined) throw decodeError('server_name: more than one host_name');
    if (name.length === 0) throw decodeError('server_name: empty host_name');
    if (name.length > MAX_HOST_NAME_LENGTH) {
      throw new TlsError(AlertDescription.unrecognized_name, `server_name: a host name of ${name.length} bytes (at most ${MAX_HOST_NAME_LENGTH})`);
    }
    // A host name is ASCII letters, digits, hyphens and dots (RFC 6066 §3, RFC 5890).
    for (const c of name) {
      if (c <= 0x20 || c >= 0x7f) {
        throw new TlsError(AlertDescription.unrecognized_name, 'server_name: host name has a byte outside printable ASCII');
      }
    }
    hostName = latin1String(name);
  }
  if (hostName === undefined) throw decodeError('server_name: no host_name entry');
  return hostName;
}

/** RFC 7301 §3.1: a non-empty list of non-empty names. */
function parseAlpn(r: Reader): string[] {
  const list = r.sub16();
  if (list.remaining === 0) throw decodeError('ALPN: empty protocol list');
  const out: string[] = [];
  while (list.remaining > 0) {
    const name = list.vec8();
    if (name.length === 0) throw decodeError('ALPN: empty protocol name');
    out.push(latin1String(name));
  }
  return out;
}

/** A ClientHello's extensions when it sends none. */
export function noClientExtensions(): ClientExtensions {
  return {
    types: [],
    serverName: undefined,
    supportedGroups: undefined,
    ecPointFormats: undefined,
    signatureAlgorithms: undefined,
    alpnProtocols: undefined,
    extendedMasterSecret: false,
    renegotiationInfo: undefined,
    sessionTicket: undefined,
    supportedVersions: undefined,
  };
}

export function parseClientExtensions(r: Reader): ClientExtensions {
  const ext = noClientExtensions();
  const seen = new Set<number>();
  while (r.remaining > 0) {
    const type = r.u16();
    const body = r.sub16();
    if (seen.has(type)) {
      throw new TlsError(AlertDescription.illegal_parameter, `duplicate extension ${type}`, { code: 'ERR_DUPLICATE_EXTENSION' });
    }
    seen.add(type);
    ext.types.push(type);
    switch (type) {
      case ExtensionType.server_name:
        ext.serverName = parseServerName(body);
        break;
      case ExtensionType.supported_groups:
        ext.supportedGroups = u16List(body, 'supported_groups');
        break;
      case ExtensionType.ec_point_formats: {
        const formats = body.vec8();
        if (formats.length === 0) throw decodeError('ec_point_formats: empty list');
        ext.ecPointFormats = formats;
        break;
      }
      case ExtensionType.signature_algorithms:
        ext.signatureAlgorithms = u16List(body, 'signature_algorithms');
        break;
      case ExtensionType.application_layer_protocol_negotiation:
        ext.alpnProtocols = parseAlpn(body);
        break;
      case ExtensionType.extended_master_secret:
        ext.extendedMasterSecret = true;
        break;
      case ExtensionType.renegotiation_info:
        ext.renegotiationInfo = body.vec8();
        break;
      case ExtensionType.session_ticket:
        ext.sessionTicket = body.rest();
        break;
      case ExtensionType.supported_versions: {
        const list = body.sub8();
        if (list.remaining === 0 || list.remaining % 2 !== 0) throw decodeError('supported_versions: bad list length');
        const versions: number[] = [];
        while (list.remaining > 0) versions.push(list.u16());
        ext.supportedVersions = versions;
        break;
      }
      default:
        body.skip(body.remaining); // tolerated and ignored
    }
    body.expectEmpty(`extension ${type}`);
  }
  return ext;
}

// ---------------------------------------------------------------------------------------
// Encoding (the client's side: the test client and the round-trip tests)

/** A list of u16 values behind a `size`-byte length. */
function u16ListBody(values: readonly number[], size: 1 | 2): Uint8Array {
  const w = new Writer(2 + values.length * 2);
  w.lengthPrefixed(size, (l) => {
    for (const v of values) l.u16(v);
  });
  return w.finish().slice();
}

function body(write: (w: Writer) => void): Uint8Array {
  const w = new Writer(64);
  write(w);
  return w.finish().slice();
}

/**
 * The extensions of `ext` as (type, body) pairs in the order of `ext.types`, each body
 * written from its typed field: the inverse of parseClientExtensions. An unknown type
 * gets an empty body (the decoder keeps no more than its number). A listed type whose
 * field is missing, or a field whose type is not listed, is a RangeError: the value does
 * not describe a ClientHello.
 */
export function encodeClientExtensions(ext: ClientExtensions): RawExtension[] {
  const listed = new Set(ext.types);
  const present: [number, boolean][] = [
    [ExtensionType.server_name, ext.serverName !== undefined],
    [ExtensionType.supported_groups, ext.supportedGroups !== undefined],
    [ExtensionType.ec_point_formats, ext.ecPointFormats !== undefined],
    [ExtensionType.signature_algorithms, ext.signatureAlgorithms !== undefined],
    [ExtensionType.application_layer_protocol_negotiation, ext.alpnProtocols !== undefined],
    [ExtensionType.extended_master_secret, ext.extendedMasterSecret],
    [ExtensionType.renegotiation_info, ext.renegotiationInfo !== undefined],
    [ExtensionType.session_ticket, ext.sessionTicket !== undefined],
    [ExtensionType.supported_versions, ext.supportedVersions !== undefined],
  ];
  for (const [type, has] of present) {
    if (has !== listed.has(type)) throw new RangeError(`extension ${type}: ${has ? 'a value but not in types' : 'in types without a value'}`);
  }
  return ext.types.map((type) => ({ type, data: clientExtensionBody(type, ext) }));
}

function clientExtensionBody(type: number, ext: ClientExtensions): Uint8Array {
  switch (type) {
    case ExtensionType.server_name: {
      const name = latin1Bytes(ext.serverName!);
      return body((w) => w.lengthPrefixed(2, (l) => l.u8(0).vec16(name)));
    }
    case ExtensionType.supported_groups:
      return u16ListBody(ext.supportedGroups!, 2);
    case ExtensionType.ec_point_formats:
      return body((w) => w.vec8(ext.ecPointFormats!));
    case ExtensionType.signature_algorithms:
      return u16ListBody(ext.signatureAlgorithms!, 2);
    case ExtensionType.application_layer_protocol_negotiation: {
      const names = ext.alpnProtocols!.map(latin1Bytes);
      return body((w) =>
        w.lengthPrefixed(2, (l) => {
          for (const n of names) l.vec8(n);
        }),
      );
    }
    case ExtensionType.renegotiation_info:
      return body((w) => w.vec8(ext.renegotiationInfo!));
    case ExtensionType.session_ticket:
      return ext.sessionTicket!.slice();
    case ExtensionType.supported_versions:
      return u16ListBody(ext.supportedVersions!, 1);
    default:
      return new Uint8Array(0); // extended_master_secret, and types we only carry as numbers
  }
}

/** An extensions block's content: (type, body) pairs, as many as there are. */
export function writeExtensions(w: Writer, list: readonly RawExtension[]): void {
  for (const e of list) w.u16(e.type).vec16(e.data);
}

/**
 * The (type, body) pairs of an extensions block, in order, duplicates included: for a peer
 * that wants to see the wire as it is (the test client). The server's own parsing keeps
 * no list (parseClientExtensions), so a hello of 16,000 extensions costs no 16,000 objects.
 */
export function readExtensions(r: Reader): RawExtension[] {
  const out: RawExtension[] = [];
  while (r.remaining > 0) out.push({ type: r.u16(), data: r.vec16() });
  return out;
}
