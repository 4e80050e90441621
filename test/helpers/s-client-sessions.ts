/**
 * Reading what `openssl s_client` says about sessions and tickets, and editing the ticket
 * inside the session PEM it writes with -sess_out (OpenSSL's i2d_SSL_SESSION; the ticket
 * is field [10] EXPLICIT OCTET STRING, session_id the fourth element of the SEQUENCE).
 *
 * The DER walking is written out here rather than borrowed from src/, so a bug in the
 * server's own session codec cannot hide a bug in these tests.
 */

/** One handshake's "New/Reused" line and the SSL-Session block s_client printed after it. */
export interface SessionBlock {
  reused: boolean;
  /** Hex, upper case as s_client prints it ('' when empty). */
  sessionId: string | undefined;
  /** "TLS session ticket lifetime hint: N (seconds)"; undefined when no ticket was received. */
  lifetimeHint: number | undefined;
  /** The "TLS session ticket:" hex dump; undefined when there is none. */
  ticket: Uint8Array | undefined;
}

/** Splits s_client's stdout into one block per handshake (several with -reconnect). */
export function sessionBlocks(stdout: string): SessionBlock[] {
  const starts = [...stdout.matchAll(/^(New|Reused), /gm)];
  return starts.map((m, i) => {
    const text = stdout.slice(m.index, i + 1 < starts.length ? starts[i + 1]!.index : undefined);
    const id = /^\s*Session-ID: ([0-9A-Fa-f]*)$/m.exec(text)?.[1];
    const hint = /^\s*TLS session ticket lifetime hint: (\d+) \(seconds\)$/m.exec(text)?.[1];
    return {
      reused: m[1] === 'Reused',
      sessionId: id,
      lifetimeHint: hint === undefined ? undefined : Number(hint),
      ticket: parseTicketDump(text),
    };
  });
}

function parseTicketDump(text: string): Uint8Array | undefined {
  const lines = text.split('\n');
  const at = lines.findIndex((l) => /^\s*TLS session ticket:\s*$/.test(l));
  if (at < 0) return undefined;
  const bytes: number[] = [];
  for (const line of lines.slice(at + 1)) {
    const m = /^\s+([0-9a-f]{4}) - ((?:[0-9a-f]{2}[ -]){0,15}[0-9a-f]{2})/.exec(line);
    if (!m) break;
    if (parseInt(m[1]!, 16) !== bytes.length) throw new Error(`ticket dump out of step at "${line}"`);
    for (const b of m[2]!.split(/[ -]/)) bytes.push(parseInt(b, 16));
  }
  return Uint8Array.from(bytes);
}

// ---------------------------------------------------------------------------------------
// Minimal DER

interface Element {
  tag: number;
  /** Header and content. */
  raw: Uint8Array;
  content: Uint8Array;
}

function readElement(b: Uint8Array, at: number): Element {
  if (at + 2 > b.length) throw new Error('truncated DER');
  const tag = b[at]!;
  let length = b[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 3 || start + n > b.length) throw new Error('unsupported DER length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + b[start + i]!;
    start += n;
  }
  if (start + length > b.length) throw new Error('DER element overruns its container');
  return { tag, raw: b.subarray(at, start + length), content: b.subarray(start, start + length) };
}

function children(content: Uint8Array): Element[] {
  const out: Element[] = [];
  for (let at = 0; at < content.length; ) {
    const e = readElement(content, at);
    out.push(e);
    at += e.raw.length;
  }
  return out;
}

function encodeElement(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const header =
    n < 0x80 ? [tag, n] : n < 0x100 ? [tag, 0x81, n] : n < 0x10000 ? [tag, 0x82, n >> 8, n & 0xff] : [tag, 0x83, n >> 16, (n >> 8) & 0xff, n & 0xff];
  const out = new Uint8Array(header.length + n);
  out.set(header, 0);
  out.set(content, header.length);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const SEQUENCE = 0x30;
const OCTET_STRING = 0x04;
/** [10] EXPLICIT, constructed. */
const TICKET_TAG = 0xa0 | 10;
const SESSION_ID_INDEX = 3;
const PEM_LABEL = 'SSL SESSION PARAMETERS';

export function sessionPemToDer(pem: string): Uint8Array {
  const m = new RegExp(`-----BEGIN ${PEM_LABEL}-----([^-]+)-----END ${PEM_LABEL}-----`).exec(pem);
  if (!m) throw new Error(`not an ${PEM_LABEL} PEM: ${pem.slice(0, 80)}`);
  return new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}

export function derToSessionPem(der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${PEM_LABEL}-----\n${b64.replace(/\n$/, '')}\n-----END ${PEM_LABEL}-----\n`;
}

function sessionFields(pem: string): Element[] {
  const der = sessionPemToDer(pem);
  const outer = readElement(der, 0);
  if (outer.tag !== SEQUENCE || outer.raw.length !== der.length) throw new Error('SSL_SESSION is not one SEQUENCE');
  return children(outer.content);
}

/** The ticket OpenSSL keeps in a client session, or undefined when it has none. */
export function ticketOfSession(pem: string): Uint8Array | undefined {
  const field = sessionFields(pem).find((e) => e.tag === TICKET_TAG);
  if (!field) return undefined;
  const inner = readElement(field.content, 0);
  if (inner.tag !== OCTET_STRING) throw new Error('[10] does not hold an OCTET STRING');
  return inner.content.slice();
}

/** The session_id OpenSSL keeps in a client session. */
export function sessionIdOfSession(pem: string): Uint8Array {
  const f = sessionFields(pem)[SESSION_ID_INDEX];
  if (!f || f.tag !== OCTET_STRING) throw new Error('no session_id in the session');
  return f.content.slice();
}

/**
 * The same session with its ticket replaced (`undefined` drops field [10]) and, when given,
 * its session_id replaced. Every other field is copied byte for byte.
 */
export function editSession(pem: string, changes: { ticket?: Uint8Array | undefined; sessionId?: Uint8Array }): string {
  const fields = sessionFields(pem);
  if (!fields.some((e) => e.tag === TICKET_TAG) && 'ticket' in changes && changes.ticket !== undefined) {
    throw new Error('the session has no ticket field to replace');
  }
  const out: Uint8Array[] = [];
  fields.forEach((e, i) => {
    if (i === SESSION_ID_INDEX && changes.sessionId !== undefined) {
      out.push(encodeElement(OCTET_STRING, changes.sessionId));
    } else if (e.tag === TICKET_TAG && 'ticket' in changes) {
      if (changes.ticket !== undefined) out.push(encodeElement(TICKET_TAG, encodeElement(OCTET_STRING, changes.ticket)));
    } else {
      out.push(e.raw);
    }
  });
  return derToSessionPem(encodeElement(SEQUENCE, concat(out)));
}
