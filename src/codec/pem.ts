import { TlsDecodeError } from '../errors.js';

export interface PemBlock {
  /** The label between BEGIN and END, e.g. 'CERTIFICATE'. */
  label: string;
  der: Uint8Array;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END ([A-Z0-9 ]+)-----/g;
const BASE64_BODY = /^[A-Za-z0-9+/=\s]*$/;

/** All PEM blocks in the text, in order. Text outside blocks is ignored (as OpenSSL does). */
export function decodePemBlocks(text: string | Uint8Array): PemBlock[] {
  const s = typeof text === 'string' ? text : new TextDecoder().decode(text);
  const blocks: PemBlock[] = [];
  for (const m of s.matchAll(BLOCK)) {
    const [, label, body, endLabel] = m as unknown as [string, string, string, string];
    if (label !== endLabel) throw new TlsDecodeError('ERR_PEM_DECODE', `PEM BEGIN ${label} ends with END ${endLabel}`);
    if (body.includes(':')) throw new TlsDecodeError('ERR_PEM_DECODE', `encrypted PEM (${label}) is not supported`);
    if (!BASE64_BODY.test(body)) throw new TlsDecodeError('ERR_PEM_DECODE', `PEM ${label} body is not base64`);
    blocks.push({ label, der: fromBase64(body.replace(/\s+/g, '')) });
  }
  return blocks;
}

/** The single block with one of the given labels; an error if there is none. */
export function decodePem(text: string | Uint8Array, labels: readonly string[]): PemBlock {
  const block = decodePemBlocks(text).find((b) => labels.includes(b.label));
  if (!block) throw new TlsDecodeError('ERR_PEM_DECODE', `no PEM block labelled ${labels.join(' or ')}`);
  return block;
}

export function encodePem(label: string, der: Uint8Array): string {
  const b64 = toBase64(der);
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

// atob/btoa rather than Buffer keep the core free of Node-only APIs.
function fromBase64(b64: string): Uint8Array {
  let bin: string;
  try {
    bin = atob(b64);
  } catch {
    throw new TlsDecodeError('ERR_PEM_DECODE', 'PEM body is not valid base64');
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function toBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}
