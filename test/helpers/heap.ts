/**
 * Memory retained by a piece of work, measured the way a test can trust: full garbage
 * collections (global.gc, exposed at run time through V8 flags, since mocha does not start
 * node with --expose-gc), heap plus ArrayBuffer backing stores (a Uint8Array's bytes live
 * outside the V8 heap), and the median of several rounds after warm-up rounds, because
 * compilation and inline caches move the heap by tens of KiB in a process's first rounds.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';

let gcFunction: (() => void) | undefined;

/** node's gc(), made available without restarting node. */
export function fullGc(): void {
  if (!gcFunction) {
    v8.setFlagsFromString('--expose-gc');
    gcFunction = vm.runInNewContext('gc') as () => void;
  }
  gcFunction();
}

/** Heap and ArrayBuffer bytes in use once everything unreachable is collected. */
async function inUse(): Promise<number> {
  // ArrayBuffer backing stores are released by a sweeper after the collection: let it run.
  for (let i = 0; i < 3; i++) {
    fullGc();
    await sleep(5);
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

export interface RetainedOptions {
  warmups?: number;
  rounds?: number;
}

/**
 * Bytes still held after `work()` returns, while its result is alive: the median over
 * `rounds` runs after `warmups` runs that are not counted. Each run is a fresh call, so
 * nothing of one run is still reachable from the next.
 */
export async function retainedBytes(work: () => unknown, options: RetainedOptions = {}): Promise<{ median: number; all: number[] }> {
  const { warmups = 3, rounds = 7 } = options;
  const all: number[] = [];
  for (let i = 0; i < warmups + rounds; i++) {
    const delta = await oneRound(work);
    if (i >= warmups) all.push(delta);
  }
  const sorted = [...all].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, all };
}

async function oneRound(work: () => unknown): Promise<number> {
  const before = await inUse();
  let held: unknown = work();
  const after = await inUse();
  // Keep the result alive until after the measurement.
  if (held === Symbol.for('never')) throw new Error('unreachable');
  held = undefined;
  return after - before;
}
