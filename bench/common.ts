/**
 * Shared by the bench's processes: configuration of the servers, the IPC messages between
 * the orchestrator (run.ts, which is also the node:tls client) and the server children
 * (server.ts), and small statistics helpers.
 */
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The suite every handshake scenario uses. */
export const SUITE = 'ECDHE-ECDSA-AES128-GCM-SHA256';
/** The AEAD suites of the bulk scenario (puretls implements these three). */
export const BULK_SUITES = ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305'] as const;
/** The servers offer X25519 only. */
export const SERVER_CURVE = 'X25519';
/**
 * The client offers X25519 and P-256: OpenSSL (and puretls, RFC 8422 §5.1) refuse an ECDSA
 * certificate on a curve the client's supported_groups leave out, so an X25519-only client
 * could not use the P-256 certificate. The servers still pick X25519.
 */
export const CLIENT_CURVES = 'X25519:P-256';
/** The session id context both kinds of server are given, so synthetic sessions match it. */
export const SID_CTX = 'puretls-bench';
/** What the server writes on each connection before end(). */
export const GREETING = 'hi\n';

/**
 * puretls with its default, pure provider (noble); puretls with the opt-in node:crypto
 * provider (`puretls/node-crypto`: the same protocol code on OpenSSL's primitives); node:tls.
 */
export type ServerKind = 'puretls' | 'native' | 'node';
export const KINDS: readonly ServerKind[] = ['puretls', 'native', 'node'];
/** The scenarios about puretls's own memory (cache scale, idle connections) compare the pure build with node:tls. */
export type PureOrNode = 'puretls' | 'node';
export const PURE_AND_NODE: readonly PureOrNode[] = ['puretls', 'node'];
export const KIND_LABEL: Record<ServerKind, string> = { puretls: 'puretls', native: 'puretls+node-crypto', node: 'node:tls' };

/**
 * How sessions are resumed:
 *  - none: both servers with their defaults (tickets on; puretls also keeps its cache); the client never resumes.
 *  - session-id: tickets off; puretls uses its in-memory cache, node:tls a Map behind newSession/resumeSession.
 *  - ticket: both with their defaults (tickets on); the client resumes by ticket.
 */
export type Resumption = 'none' | 'session-id' | 'ticket';

/**
 * What the server does with an established connection:
 *  - greet: write GREETING and end() (the handshake scenarios)
 *  - idle: nothing (memory per idle connection)
 *  - bulk: write `bulkBytes` in `bulkChunk` writes, then end() (throughput)
 */
export type ServerMode = 'greet' | 'idle' | 'bulk';

export interface ServerConfig {
  kind: ServerKind;
  /** No TLS at all: a net.Server doing the same per-connection work (the TCP floor). */
  plain?: boolean;
  /** puretls: time every call into ServerConnection (the sans-IO core); reported as coreNs. */
  instrument?: boolean;
  mode: ServerMode;
  resumption: Resumption;
  keyPem: string;
  certPem: string;
  ciphers: string;
  /** Synthetic sessions put in the session-ID cache before listening (cache scale). */
  prefill?: number;
  /**
   * Session-ID resumption through Redis (the fleet scenario): puretls uses a
   * RedisSessionStore, node:tls the same store through `attach`, instead of their in-process caches.
   */
  store?: { url: string; secretHex: string };
  bulkBytes?: number;
  bulkChunk?: number;
}

/** Counts kept by a server child between `mark` and `report`. */
export interface HandshakeCounts {
  full: number;
  sessionId: number;
  ticket: number;
  /** Handshakes that failed (tlsClientError). */
  errors: number;
}

export interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/** Messages from the orchestrator to a server child. */
export type ToServer =
  | { type: 'start'; config: ServerConfig }
  | { type: 'mark'; /** false: remove the core timing wrappers for good (before a profiled window). */ instrument?: boolean }
  | { type: 'report' }
  | { type: 'memory' }
  | { type: 'connections' }
  | { type: 'profile-start'; intervalUs: number }
  | { type: 'profile-stop'; file: string }
  | { type: 'exit' };

/** Messages from a server child. */
export type FromServer =
  | { type: 'ready' }
  | { type: 'listening'; port: number; prefill?: PrefillReport }
  | { type: 'marked' }
  | {
      type: 'report';
      cpuUs: number;
      userUs: number;
      systemUs: number;
      wallMs: number;
      counts: HandshakeCounts;
      coreNs?: number;
      /** Main-thread GC pauses (PerformanceObserver 'gc' entries) since the mark. */
      gcUs: number;
      gcCount: number;
      /** CPU since the mark per group of threads, from /proc/self/task/<tid>/stat (empty where /proc is missing). */
      threads: ThreadCpu[];
    }
  | { type: 'memory'; memory: MemorySample }
  | { type: 'connections'; count: number }
  | { type: 'bulk'; cpuUs: number; bytes: number; wallMs: number }
  | { type: 'profile-started' }
  | { type: 'profile-stopped'; file: string }
  | { type: 'error'; message: string };

export interface ThreadCpu {
  /** 'main thread', 'libuv thread pool', 'other threads' (V8's GC and compiler helpers). */
  name: string;
  us: number;
}

export interface PrefillReport {
  sessions: number;
  /** Memory after gc, before and after the sessions went in. */
  before: MemorySample;
  after: MemorySample;
  ms: number;
}

/** The directory of the compiled bench (dist/bench). */
export const BENCH_DIST_DIR = path.dirname(fileURLToPath(import.meta.url));
/** The repository root (two levels above dist/bench). */
export const REPO_ROOT = path.resolve(BENCH_DIST_DIR, '..', '..');
export const RESULTS_DIR = path.join(REPO_ROOT, 'bench', 'results');

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The p-th percentile (0..100), nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[rank]!;
}

export function memorySample(): MemorySample {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

/** Full garbage collection (the children run with --expose-gc), twice so weak callbacks settle. */
export async function fullGc(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return;
  gc();
  await new Promise((r) => setImmediate(r));
  gc();
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
