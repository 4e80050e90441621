/**
 * Interleaved A/B measurement of small operations, for a shared machine where wall-clock
 * time drifts: every candidate runs in every round, in a rotated order, for a slice of about
 * the same length, and the figure is the median over rounds of the process CPU time per
 * operation. A noisy period then hits all candidates of a round alike instead of one of
 * them, and time spent waiting for a core is not counted.
 *
 * Allocation is measured separately (`bytesPerOp`): in a process started with a new space
 * large enough that no scavenge happens during a batch (see primitives.ts), the growth of
 * the heap plus the growth of ArrayBuffer backing stores over n operations, divided by n.
 */
import { PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';
import { median, percentile } from './common.js';

export interface Candidate {
  name: string;
  op: () => unknown;
}

export interface Timing {
  name: string;
  /** Median over rounds of microseconds per operation. */
  us: number;
  /** 25th and 75th percentiles over rounds. */
  p25: number;
  p75: number;
  rounds: number;
}

export interface CompareOptions {
  rounds: number;
  /** Target length of one candidate's slice in a round. */
  sliceMs: number;
}

/** Results are kept here so that no optimiser drops an operation whose result goes unused. */
const sink: { value: unknown } = { value: undefined };

/**
 * The process's CPU time in nanoseconds (getrusage: user + system, all threads, brought up
 * to date for the calling thread, so exact to the microsecond). On a shared machine this
 * clock stops while the process waits for a core, where the wall clock does not.
 */
function cpuNs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000;
}

function timeBatch(op: () => unknown, n: number): number {
  const t0 = cpuNs();
  for (let i = 0; i < n; i++) sink.value = op();
  return cpuNs() - t0;
}

/** Iterations that fill about `ms`, after warming the operation up. */
function calibrate(op: () => unknown, ms: number): number {
  let n = 1;
  for (;;) {
    const ns = timeBatch(op, n);
    if (ns > ms * 1e6 * 0.25 || n >= 1 << 24) return Math.max(1, Math.round((n * ms * 1e6) / Math.max(ns, 1)));
    n *= 2;
  }
}

export function compare(candidates: readonly Candidate[], options: CompareOptions): Timing[] {
  const counts = candidates.map((c) => calibrate(c.op, options.sliceMs));
  const perRound: number[][] = candidates.map(() => []);
  for (let r = 0; r < options.rounds; r++) {
    for (let k = 0; k < candidates.length; k++) {
      const i = (k + r) % candidates.length;
      const n = counts[i]!;
      perRound[i]!.push(timeBatch(candidates[i]!.op, n) / n / 1000);
    }
  }
  return candidates.map((c, i) => ({
    name: c.name,
    us: median(perRound[i]!),
    p25: percentile(perRound[i]!, 25),
    p75: percentile(perRound[i]!, 75),
    rounds: options.rounds,
  }));
}

let gcCount = 0;
let observing = false;
function observeGc(): void {
  if (observing) return;
  observing = true;
  new PerformanceObserver((list) => {
    gcCount += list.getEntries().length;
  }).observe({ entryTypes: ['gc'] });
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Bytes in the young generation plus ArrayBuffer backing stores. Only young spaces: the
 * optimising compiler's code and feedback go to old spaces, and would be counted against
 * whatever runs while it compiles.
 */
function heapNow(): number {
  let young = 0;
  for (const s of v8.getHeapSpaceStatistics()) {
    if (s.space_name === 'new_space' || s.space_name === 'new_large_object_space') young += s.space_used_size;
  }
  return young + process.memoryUsage().arrayBuffers;
}

/**
 * Bytes allocated per call of `op` (heap objects, live or dead, plus ArrayBuffer backing
 * stores), or undefined when a collection ran during every try. Needs --expose-gc and a
 * new space larger than n calls allocate (--min-semi-space-size).
 */
export async function bytesPerOp(op: () => unknown, n: number): Promise<number | undefined> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('bytesPerOp needs --expose-gc');
  observeGc();
  const empty = (): void => {};
  for (let i = 0; i < 50; i++) op();
  for (let attempt = 0; attempt < 4; attempt++, n = Math.max(1, n >> 1)) {
    const expected = gcCount + 1;
    gc();
    // The observer hears of the forced collection a few ticks later; wait for it.
    for (let i = 0; i < 100 && gcCount < expected; i++) await tick();
    const before = gcCount;
    const e0 = heapNow();
    for (let i = 0; i < n; i++) sink.value = empty();
    const e1 = heapNow();
    for (let i = 0; i < n; i++) sink.value = op();
    const e2 = heapNow();
    for (let i = 0; i < 5; i++) await tick();
    if (gcCount === before) return Math.max(0, e2 - e1 - (e1 - e0)) / n;
  }
  return undefined;
}
