import { toHex } from '../codec/bytes.js';
import { ContentType, ExtensionType, HandshakeType, NamedGroup, SignatureScheme, protocolName } from '../codec/enums.js';
import { Reader } from '../codec/reader.js';
import { alertName } from '../errors.js';
import { suiteById } from '../protocol/suites.js';

/**
 * A human-readable trace of the messages of a connection, in the spirit of OpenSSL's
 * SSL_trace (what node:tls's enableTrace prints): one line per record, then one line per
 * handshake message with its main fields. It reads the bytes on its own, tolerantly: a
 * message it cannot read is traced as such, never an error (the handshake decides that).
 */
export type TraceDirection = 'received' | 'sent';

const ARROW: Record<TraceDirection, string> = { received: '<<<', sent: '>>>' };

/** Records at most this many list entries per field before eliding the rest. */
const MAX_LISTED = 12;

function contentTypeName(type: number): string {
  return ContentType[type] ?? `unknown(${type})`;
}

function handshakeName(type: number): string {
  return HandshakeType[type] ?? `unknown(${type})`;
}

function listed<T>(items: readonly T[], name: (item: T) => string): string {
  const shown = items.slice(0, MAX_LISTED).map(name);
  if (items.length > MAX_LISTED) shown.push(`... ${items.length - MAX_LISTED} more`);
  return shown.join(', ');
}

function u16List(r: Reader): number[] {
  const out: number[] = [];
  while (r.remaining >= 2) out.push(r.u16());
  return out;
}

const hex4 = (v: number): string => `0x${v.toString(16).padStart(4, '0')}`;
const suiteName = (id: number): string => suiteById(id)?.name ?? hex4(id);
const groupName = (g: number): string => NamedGroup[g] ?? `${g}`;
const schemeName = (s: number): string => SignatureScheme[s] ?? hex4(s);
const extensionName = (t: number): string => ExtensionType[t] ?? `${t}`;

/** The record line: direction, content type, length, whether it travelled protected. */
export function traceRecord(direction: TraceDirection, type: number, length: number, encrypted: boolean): string {
  return `${ARROW[direction]} ${direction} record: ${contentTypeName(type)}, ${length} bytes${encrypted ? ' (protected)' : ''}`;
}

/** An alert record's content. */
export function traceAlert(direction: TraceDirection, data: Uint8Array): string {
  if (data.length !== 2) return `    alert of ${data.length} bytes (malformed)`;
  return `    alert: ${data[0] === 1 ? 'warning' : data[0] === 2 ? 'fatal' : `level ${data[0]}`} ${alertName(data[1]!)} (${direction})`;
}

/** One line per handshake message in `messages` (a flight may hold several). */
export function traceHandshake(messages: Uint8Array): string[] {
  const lines: string[] = [];
  const r = new Reader(messages);
  while (r.remaining >= 4) {
    const type = r.u8();
    const length = r.u24();
    if (length > r.remaining) {
      lines.push(`    ${handshakeName(type)}, ${length} bytes (continues in the next record)`);
      break;
    }
    const body = r.bytes(length);
    let detail: string;
    try {
      detail = describeMessage(type, body);
    } catch {
      detail = 'malformed';
    }
    lines.push(`    ${handshakeName(type)}, ${length} bytes${detail ? `: ${detail}` : ''}`);
  }
  return lines;
}

function describeMessage(type: number, body: Uint8Array): string {
  const r = new Reader(body);
  switch (type) {
    case HandshakeType.client_hello:
    case HandshakeType.server_hello: {
      const version = r.u16();
      const random = r.bytes(32);
      const sessionId = r.vec8();
      const parts = [`version ${protocolName(version)}`, `random ${toHex(random).slice(0, 16)}...`, `session_id ${sessionId.length ? toHex(sessionId) : '(empty)'}`];
      if (type === HandshakeType.client_hello) {
        const suites = u16List(r.sub16());
        parts.push(`${suites.length} cipher suites: ${listed(suites, suiteName)}`);
        r.vec8(); // compression methods
      } else {
        parts.push(`cipher suite ${suiteName(r.u16())}`);
        r.u8();
      }
      if (r.remaining > 0) parts.push(`extensions: ${describeExtensions(r.sub16())}`);
      return parts.join('; ');
    }
    case HandshakeType.certificate: {
      const list = r.sub24();
      const sizes: number[] = [];
      while (list.remaining > 0) sizes.push(list.vec24().length);
      return sizes.length === 0 ? 'no certificate' : `${sizes.length} certificate(s) of ${sizes.join(', ')} bytes`;
    }
    case HandshakeType.server_key_exchange: {
      r.u8(); // named_curve
      const group = r.u16();
      const point = r.vec8();
      return `ECDHE ${groupName(group)}, public key of ${point.length} bytes, signed with ${schemeName(r.u16())}`;
    }
    case HandshakeType.certificate_request: {
      r.vec8();
      return `signature algorithms: ${listed(u16List(r.sub16()), schemeName)}`;
    }
    case HandshakeType.client_key_exchange:
      return `ECDHE public key of ${r.vec8().length} bytes`;
    case HandshakeType.certificate_verify:
      return `${schemeName(r.u16())}, signature of ${r.vec16().length} bytes`;
    case HandshakeType.new_session_ticket:
      return `lifetime hint ${r.u32()} s, ticket of ${r.vec16().length} bytes`;
    case HandshakeType.finished:
      return `verify_data ${toHex(body)}`;
    default:
      return '';
  }
}

function describeExtensions(r: Reader): string {
  const out: string[] = [];
  while (r.remaining >= 4) {
    const type = r.u16();
    const data = r.vec16();
    out.push(describeExtension(type, data));
  }
  return out.length === 0 ? '(none)' : out.join(', ');
}

function describeExtension(type: number, data: Uint8Array): string {
  const name = extensionName(type);
  try {
    const r = new Reader(data);
    switch (type) {
      case ExtensionType.server_name: {
        if (data.length === 0) return name;
        const list = r.sub16();
        list.u8();
        return `${name} ${JSON.stringify(new TextDecoder().decode(list.vec16()))}`;
      }
      case ExtensionType.supported_groups:
        return `${name} (${listed(u16List(r.sub16()), groupName)})`;
      case ExtensionType.signature_algorithms:
        return `${name} (${listed(u16List(r.sub16()), schemeName)})`;
      case ExtensionType.application_layer_protocol_negotiation: {
        const list = r.sub16();
        const names: string[] = [];
        while (list.remaining > 0) names.push(new TextDecoder().decode(list.vec8()));
        return `${name} (${listed(names, (n) => JSON.stringify(n))})`;
      }
      case ExtensionType.supported_versions: {
        const versions = data.length === 2 ? [r.u16()] : u16List(r.sub8());
        return `${name} (${listed(versions, protocolName)})`;
      }
      case ExtensionType.session_ticket:
        return `${name} (${data.length} bytes)`;
      default:
        return data.length > 0 ? `${name} (${data.length} bytes)` : name;
    }
  } catch {
    return `${name} (malformed)`;
  }
}
