import { TlsDecodeError } from '../errors.js';
import { DerReader, Tag, explicit, octetString, sequence, uint } from '../codec/der.js';
import { copyBytes, latin1Bytes, latin1String } from '../codec/bytes.js';
import { decodePem, encodePem } from '../codec/pem.js';
import { MASTER_SECRET_LENGTH, MAX_SESSION_ID_LENGTH, MAX_SID_CTX_LENGTH, type SessionFields } from './session-fields.js';

/**
 * OpenSSL's ASN.1 SSL_SESSION (ssl/ssl_asn1.c, as 3.0.19 reads and writes it):
 *
 *   SEQUENCE { version INTEGER (1), ssl_version INTEGER, cipher OCTET STRING (2),
 *              session_id OCTET STRING, master_key OCTET STRING,
 *              [0] IMPLICIT key_arg OPTIONAL, [1] time, [2] timeout, [3] peer Certificate,
 *              [4] session_id_context, [5] verify_result, [6] hostname, [7] psk_identity_hint,
 *              [8] psk_identity, [9] tick_lifetime_hint, [10] ticket, [11] comp_id,
 *              [12] srp_username, [13] flags, [14] tick_age_add, [15] max_early_data,
 *              [16] alpn_selected, [17] max_fragment_len_mode, [18] ticket_appdata,
 *              [19] kex_group, [20] peer_rpk (3.2+) }
 *
 * [1]..[20] are EXPLICIT and OPTIONAL. The INTEGERs OpenSSL declares as ZINT (time, timeout,
 * verify_result, flags, ...) are left out when zero; kex_group is a plain UINT32 and is
 * always written, so 3.0 output always ends with [19].
 */

export const SESSION_PEM_LABEL = 'SSL SESSION PARAMETERS';

const SESSION_ASN1_VERSION = 1;
/** SSL_SESS_FLAG_EXTMS. */
const FLAG_EXTMS = 0x1;

/** What each context-specific field holds, so fields we skip are still type-checked as OpenSSL does. */
const FIELD_KIND: Readonly<Record<number, 'octets' | 'uint' | 'cert'>> = {
  0: 'octets', 1: 'uint', 2: 'uint', 3: 'cert', 4: 'octets', 5: 'uint', 6: 'octets',
  7: 'octets', 8: 'octets', 9: 'uint', 10: 'octets', 11: 'octets', 12: 'octets', 13: 'uint',
  14: 'uint', 15: 'uint', 16: 'octets', 17: 'uint', 18: 'octets', 19: 'uint', 20: 'octets',
};

/** Each field's name in errors, made once rather than per field decoded (n <= 30: contextTag's range). */
const FIELD_NAME: readonly string[] = Array.from({ length: 31 }, (_, n) => `field [${n}]`);

// ---------------------------------------------------------------------------------------
// Encoding

export function encodeSession(s: SessionFields): Uint8Array {
  check(Number.isInteger(s.version) && s.version >= 0 && s.version <= 0xffff, `version ${s.version}`);
  check(Number.isInteger(s.cipherSuite) && s.cipherSuite >= 0 && s.cipherSuite <= 0xffff, `cipherSuite ${s.cipherSuite}`);
  check(s.sessionId.length <= MAX_SESSION_ID_LENGTH, `sessionId of ${s.sessionId.length} bytes`);
  check(s.masterSecret.length <= MASTER_SECRET_LENGTH, `masterSecret of ${s.masterSecret.length} bytes`);
  check(s.sidCtx.length <= MAX_SID_CTX_LENGTH, `sidCtx of ${s.sidCtx.length} bytes`);

  const fields: Uint8Array[] = [
    uint(SESSION_ASN1_VERSION),
    uint(s.version),
    octetString(Uint8Array.of(s.cipherSuite >> 8, s.cipherSuite & 0xff)),
    octetString(s.sessionId),
    octetString(s.masterSecret),
  ];
  if (s.createdAt !== 0) fields.push(explicit(1, uint(s.createdAt)));
  if (s.timeout !== 0) fields.push(explicit(2, uint(s.timeout)));
  if (s.peerCertificate !== undefined) fields.push(explicit(3, s.peerCertificate));
  // OpenSSL writes the sid_ctx even when it is empty.
  fields.push(explicit(4, octetString(s.sidCtx)));
  if (s.verifyResult !== undefined && s.verifyResult !== 0) fields.push(explicit(5, uint(s.verifyResult)));
  if (s.serverName !== undefined) {
    // OpenSSL keeps the host name as a C string, so a NUL could not survive a round trip.
    check(!s.serverName.includes('\0'), 'serverName containing NUL');
    fields.push(explicit(6, octetString(checkedLatin1Bytes(s.serverName, 'serverName'))));
  }
  if (s.extendedMasterSecret) fields.push(explicit(13, uint(FLAG_EXTMS)));
  if (s.alpn !== undefined) fields.push(explicit(16, octetString(checkedLatin1Bytes(s.alpn, 'alpn'))));
  // OpenSSL 3.0 always writes kex_group, 0 when it has none.
  fields.push(explicit(19, uint(s.kexGroup ?? 0)));
  return sequence(...fields);
}

export function sessionToPem(s: SessionFields): string {
  return encodePem(SESSION_PEM_LABEL, encodeSession(s));
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new RangeError(`cannot encode SSL session: invalid ${what}`);
}

function checkedLatin1Bytes(s: string, what: string): Uint8Array {
  try {
    return latin1Bytes(s);
  } catch (e) {
    throw new RangeError(`cannot encode SSL session: invalid ${what} (${(e as Error).message})`);
  }
}

// ---------------------------------------------------------------------------------------
// Decoding

function fail(message: string): never {
  throw new TlsDecodeError('ERR_SESSION_DECODE', `SSL session: ${message}`);
}

export function decodeSession(der: Uint8Array): SessionFields {
  try {
    return parseSession(der);
  } catch (e) {
    // One error code for every way a session can be malformed, whichever layer noticed.
    if (e instanceof TlsDecodeError && e.code !== 'ERR_SESSION_DECODE') fail(e.message);
    throw e;
  }
}

export function sessionFromPem(pem: string): SessionFields {
  let der: Uint8Array;
  try {
    der = decodePem(pem, [SESSION_PEM_LABEL]).der;
  } catch (e) {
    if (e instanceof TlsDecodeError) fail(e.message);
    throw e;
  }
  return decodeSession(der);
}

function parseSession(der: Uint8Array): SessionFields {
  const outer = new DerReader(der);
  if (outer.peekTag() !== Tag.SEQUENCE) fail('not a DER SEQUENCE');
  const r = outer.sequence('SSL_SESSION');
  outer.end('input after the SSL_SESSION SEQUENCE');

  const asn1Version = r.uint('version');
  if (asn1Version !== SESSION_ASN1_VERSION) {
    fail(`unknown SSL_SESSION ASN.1 version ${asn1Version} (expected ${SESSION_ASN1_VERSION})`);
  }
  // Any 16-bit protocol version is kept: whether it can be resumed is the resumption decision's call.
  const version = r.uint('ssl_version');
  if (version > 0xffff) fail(`ssl_version 0x${version.toString(16)} is not a protocol version`);
  const cipher = r.octetString('cipher');
  if (cipher.length !== 2) fail(`cipher is ${cipher.length} bytes (expected 2)`);
  const sessionId = bounded(r.octetString('session_id'), MAX_SESSION_ID_LENGTH, 'session_id');
  const masterSecret = bounded(r.octetString('master_key'), MASTER_SECRET_LENGTH, 'master_key');

  const s: SessionFields = {
    version,
    cipherSuite: (cipher[0]! << 8) | cipher[1]!,
    sessionId,
    masterSecret,
    sidCtx: new Uint8Array(0),
    createdAt: 0,
    timeout: 0,
    extendedMasterSecret: false,
  };

  // DER orders the OPTIONAL fields by tag; a repeat or a step back is malformed.
  let last = -1;
  while (!r.atEnd()) {
    const inner = r.enter();
    const tag = r.enteredTag;
    const n = tag & 0x1f;
    if ((tag & 0xc0) !== 0x80) fail(`unexpected tag 0x${tag.toString(16)} after master_key`);
    if (n <= last) fail(`field [${n}] is out of order or repeated`);
    last = n;
    const kind = FIELD_KIND[n];
    // Newer OpenSSL versions append fields; like the ones we know but do not use, they are skipped.
    if (kind === undefined) continue;
    // key_arg is the one IMPLICIT field; all the others wrap their value.
    const constructed = n !== 0;
    if ((tag & 0x20) !== (constructed ? 0x20 : 0)) fail(`field [${n}] has the wrong form`);
    const what = FIELD_NAME[n]!;
    switch (kind) {
      case 'octets': {
        const octets = n === 0 ? inner.rest() : inner.octetString(what);
        if (n === 4) s.sidCtx = bounded(octets, MAX_SID_CTX_LENGTH, 'session_id_context');
        else if (n === 6) s.serverName = latin1(octets, true);
        else if (n === 16) s.alpn = latin1(octets, false);
        break;
      }
      case 'uint':
        if (n === 1) s.createdAt = inner.uint('time');
        else if (n === 2) s.timeout = inner.uint('timeout');
        else if (n === 5) {
          const v = inner.uint('verify_result');
          if (v > 0x7fffffff) fail('verify_result does not fit in 32 bits');
          s.verifyResult = v;
        } else {
          // Flags and the fields we skip are 32- or 64-bit unsigned in OpenSSL.
          const magnitude = inner.uintBytes(what);
          if (magnitude.length > 8) fail(`${what}: INTEGER too large`);
          if (n === 13) s.extendedMasterSecret = (magnitude[magnitude.length - 1]! & FLAG_EXTMS) !== 0;
          if (n === 19 && magnitude.length <= 2 && (magnitude.length > 1 || magnitude[0] !== 0)) {
            s.kexGroup = magnitude.length === 2 ? (magnitude[0]! << 8) | magnitude[1]! : magnitude[0]!;
          }
        }
        break;
      case 'cert':
        s.peerCertificate = certificate(inner);
        break;
    }
    if (n !== 0 && n !== 3) inner.end(what);
  }
  return s;
}

/** OpenSSL's d2i copies at most `max` bytes and fails otherwise. */
function bounded(v: Uint8Array, max: number, what: string): Uint8Array {
  if (v.length > max) fail(`${what} is ${v.length} bytes (at most ${max} allowed)`);
  return copyBytes(v);
}



/**
 * The peer certificate is kept as its raw bytes; check that it has an X.509 Certificate's
 * outer shape (SEQUENCE { tbs SEQUENCE, algorithm SEQUENCE, signature BIT STRING }).
 */
function certificate(r: DerReader): Uint8Array {
  const tlv = r.read();
  if (tlv.tag !== Tag.SEQUENCE) fail('peer is not an X.509 Certificate');
  r.end('peer');
  const c = new DerReader(tlv.value);
  c.sequence('peer tbsCertificate');
  c.sequence('peer signatureAlgorithm');
  c.bitString('peer signature');
  c.end('peer Certificate');
  return copyBytes(tlv.raw);
}

/** Byte-preserving; `cString` stops at a NUL as OpenSSL's strndup does for the host name. */
function latin1(v: Uint8Array, cString: boolean): string {
  const nul = cString ? v.indexOf(0) : -1;
  return latin1String(nul < 0 ? v : v.subarray(0, nul));
}
