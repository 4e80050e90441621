import { latin1Bytes, latin1String } from '../codec/bytes.js';
import { MASTER_SECRET_LENGTH, type SessionFields } from './session-fields.js';

/**
 * A session as one buffer, for the in-memory cache: one allocation per cached session
 * instead of an object with a string, five arrays and their backing stores (about 880 heap
 * bytes per session before, under 300 now: see the README's memory figures), and one
 * `fill(0)` wipes everything it holds. Decoding takes a microsecond, where OpenSSL's DER
 * (`Session.toDER`, the format for export) takes seven.
 *
 *   offset  size  field
 *   0       2     version
 *   2       2     cipher suite
 *   4       6     createdAt (seconds since the epoch)
 *   10      4     timeout (seconds)
 *   14      1     flags: 1 extended master secret, 2 verifyResult, 4 kexGroup
 *   15      2     kexGroup (0 when absent)
 *   17      4     verifyResult (0 when absent)
 *   21      48    master secret
 *   69      1+n   session ID (n <= 32)
 *           1+n   sid_ctx (n <= 32)
 *           2+n   server name, latin1 (n = 0xffff: absent)
 *           2+n   ALPN, latin1 (n = 0xffff: absent)
 *           4+n   peer certificate, DER (n = 0xffffffff: absent)
 */

const FLAG_EMS = 1;
const FLAG_VERIFY_RESULT = 2;
const FLAG_KEX_GROUP = 4;
const HEADER_LENGTH = 21;
const SECRET_AT = HEADER_LENGTH;
const IDS_AT = SECRET_AT + MASTER_SECRET_LENGTH;
const ABSENT16 = 0xffff;
const ABSENT32 = 0xffffffff;

/**
 * Packed sessions are cut from shared slabs: a buffer of their own would cost each one a
 * backing store (about 100 bytes of allocator overhead beside its 150). A slab is freed by
 * the garbage collector once no session cut from it is held; a cache evicts its oldest
 * first, so slabs empty in order.
 */
const SLAB_SIZE = 64 * 1024;
let slab = new Uint8Array(0);
let slabUsed = 0;

function allocate(length: number): Uint8Array {
  if (length > SLAB_SIZE / 4) return new Uint8Array(length); // a large peer certificate: its own buffer
  if (slabUsed + length > slab.length) {
    slab = new Uint8Array(SLAB_SIZE);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + length);
  slabUsed += length;
  return out;
}

export function packSession(s: SessionFields): Uint8Array {
  const name = s.serverName === undefined ? undefined : latin1Bytes(s.serverName);
  const alpn = s.alpn === undefined ? undefined : latin1Bytes(s.alpn);
  const peer = s.peerCertificate;
  const length =
    IDS_AT + 1 + s.sessionId.length + 1 + s.sidCtx.length + 2 + (name?.length ?? 0) + 2 + (alpn?.length ?? 0) + 4 + (peer?.length ?? 0);
  const out = allocate(length);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint16(0, s.version);
  view.setUint16(2, s.cipherSuite);
  view.setUint16(4, Math.floor(s.createdAt / 2 ** 32));
  view.setUint32(6, s.createdAt >>> 0);
  view.setUint32(10, s.timeout);
  out[14] =
    (s.extendedMasterSecret ? FLAG_EMS : 0) | (s.verifyResult !== undefined ? FLAG_VERIFY_RESULT : 0) | (s.kexGroup !== undefined ? FLAG_KEX_GROUP : 0);
  view.setUint16(15, s.kexGroup ?? 0);
  view.setUint32(17, s.verifyResult ?? 0);
  out.set(s.masterSecret, SECRET_AT);
  let at = IDS_AT;
  const put8 = (b: Uint8Array): void => {
    out[at++] = b.length;
    out.set(b, at);
    at += b.length;
  };
  const put16 = (b: Uint8Array | undefined): void => {
    view.setUint16(at, b ? b.length : ABSENT16);
    at += 2;
    if (b) out.set(b, at), (at += b.length);
  };
  put8(s.sessionId);
  put8(s.sidCtx);
  put16(name);
  put16(alpn);
  view.setUint32(at, peer ? peer.length : ABSENT32);
  at += 4;
  if (peer) out.set(peer, at);
  return out;
}

/** Big-endian integers read in place. */
const u16 = (p: Uint8Array, at: number): number => (p[at]! << 8) | p[at + 1]!;
const u32 = (p: Uint8Array, at: number): number => ((p[at]! << 24) | (p[at + 1]! << 16) | (p[at + 2]! << 8) | p[at + 3]!) >>> 0;

/** The fields of a packed session, each array a copy of its own (the caller may wipe the master secret). */
export function unpackSession(p: Uint8Array): SessionFields {
  // Read in place, without a DataView or helper closures: a resumption from the cache unpacks one session.
  const flags = p[14]!;
  let at = IDS_AT;
  const sessionIdLength = p[at++]!;
  const sessionId = p.slice(at, (at += sessionIdLength));
  const sidCtxLength = p[at++]!;
  const sidCtx = p.slice(at, (at += sidCtxLength));
  const nameLength = u16(p, at);
  at += 2;
  const serverName = nameLength === ABSENT16 ? undefined : latin1String(p.subarray(at, (at += nameLength)));
  const alpnLength = u16(p, at);
  at += 2;
  const alpn = alpnLength === ABSENT16 ? undefined : latin1String(p.subarray(at, (at += alpnLength)));
  const peerLength = u32(p, at);
  at += 4;
  return {
    version: u16(p, 0),
    cipherSuite: u16(p, 2),
    createdAt: packedCreatedAt(p),
    timeout: u32(p, 10),
    extendedMasterSecret: (flags & FLAG_EMS) !== 0,
    kexGroup: flags & FLAG_KEX_GROUP ? u16(p, 15) : undefined,
    verifyResult: flags & FLAG_VERIFY_RESULT ? u32(p, 17) : undefined,
    masterSecret: p.slice(SECRET_AT, SECRET_AT + MASTER_SECRET_LENGTH),
    sessionId,
    sidCtx,
    serverName,
    alpn,
    peerCertificate: peerLength === ABSENT32 ? undefined : p.slice(at, at + peerLength),
  };
}

/** createdAt + timeout, read in place (the cache's sweep looks at every entry). */
export function packedExpiry(p: Uint8Array): number {
  return packedCreatedAt(p) + u32(p, 10);
}

function packedCreatedAt(p: Uint8Array): number {
  return u16(p, 4) * 2 ** 32 + u32(p, 6);
}
