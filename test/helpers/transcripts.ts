/**
 * Recorded handshakes (after Go's testdata/Server-TLSv12-*): a real client's bytes against a
 * server whose randomness is seeded and whose clock is fixed, so that replaying the client's
 * bytes into a fresh server reproduces every byte the server sent. The recorder
 * (test/transcripts/record.ts) and the replay test (test/transcripts/replay.test.ts) run the
 * same server logic, below.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { concatBytes, toHex } from '../../src/codec/bytes.js';
import { ServerConnection } from '../../src/connection.js';
import { TlsContext, type TlsContextOptions } from '../../src/context.js';
import { NobleCryptoProvider } from '../../src/crypto/noble.js';
import { seededRandom } from './tls-client.js';

/** Where transcripts live: test/testdata in the repository (not in dist). */
export const TESTDATA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../test/testdata');

/** What the server application does once a handshake completes: greet, then close_notify. */
export const GREETING = 'hello from puretls\n';

/** The server side of a transcript: everything needed to build the same context again. */
export interface TranscriptServer {
  /** Seed of the server's only randomness source (server randoms, keys, IDs, tickets). */
  seed: string;
  /** The server's clock, fixed: milliseconds since the epoch. */
  now: number;
  keyPem: string;
  certPem: string;
  /** TlsContext options beyond key, cert, crypto and clock (JSON-safe ones only). */
  options: Pick<TlsContextOptions, 'ciphers' | 'groups' | 'alpnProtocols' | 'sessionIdContext' | 'tickets' | 'requestCert' | 'rejectUnauthorized' | 'ca'>;
}

/** One TCP connection as recorded: the client's chunks as they arrived, and every byte the server sent. */
export interface TranscriptConnection {
  clientChunks: string[];
  serverBytes: string;
  /** What the handshake ended as, for the replay to check too. */
  outcome: { complete: boolean; resumed: boolean; error: string | null };
}

export interface Transcript {
  name: string;
  /** The client and how it was run, for people (the bytes are what count). */
  client: string;
  server: TranscriptServer;
  connections: TranscriptConnection[];
}

/** The context a transcript's server used: seeded randomness, fixed clock, same options. */
export function transcriptContext(server: TranscriptServer): TlsContext {
  const crypto = new NobleCryptoProvider({ randomBytes: seededRandom(server.seed) });
  return new TlsContext({ ...server.options, key: server.keyPem, cert: server.certPem, crypto, now: () => server.now });
}

/**
 * The server side of one connection, driven by the client's chunks: what the recorder runs
 * on a socket and the replay runs in memory. Returns every byte the server sent.
 */
export class TranscriptServerConnection {
  readonly connection: ServerConnection;
  private readonly sent: Uint8Array[] = [];
  private greeted = false;

  constructor(context: TlsContext) {
    this.connection = new ServerConnection(context);
  }

  /** Takes a chunk from the client; returns what the server sends in answer (maybe nothing). */
  receive(chunk: Uint8Array): Uint8Array {
    const c = this.connection;
    c.receive(chunk);
    if (c.handshakeComplete && !this.greeted && !c.closed) {
      this.greeted = true;
      c.write(new TextEncoder().encode(GREETING));
      c.close();
    }
    const out = c.takeOutput() ?? new Uint8Array(0);
    if (out.length > 0) this.sent.push(out);
    return out;
  }

  get serverBytes(): Uint8Array {
    return concatBytes(this.sent);
  }

  get outcome(): TranscriptConnection['outcome'] {
    const c = this.connection;
    return { complete: c.handshakeComplete, resumed: c.isSessionReused, error: c.error ? c.error.reason : null };
  }
}

export function transcriptFiles(): string[] {
  return readdirSync(TESTDATA_DIR).filter((f) => f.startsWith('Server-TLSv12-') && f.endsWith('.json')).sort();
}

export function loadTranscript(file: string): Transcript {
  return JSON.parse(readFileSync(join(TESTDATA_DIR, file), 'utf8')) as Transcript;
}

export function saveTranscript(t: Transcript): string {
  const file = join(TESTDATA_DIR, `Server-TLSv12-${t.name}.json`);
  writeFileSync(file, `${JSON.stringify(t, null, 1)}\n`);
  return file;
}

export { toHex };
