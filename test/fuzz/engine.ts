/**
 * The fuzz loop: cycles through the targets in slices until the time is up, counts inputs
 * and outcomes per target, and keeps every input that broke an invariant (with its seed,
 * cut points and the mutation) for reproduction. Heap is measured after full collections
 * at the start (after a warm-up round) and at the end.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fullGc } from '../helpers/heap.js';
// mulberry32, seeded: the same seed gives the same mutations on every machine.
import { seededRandom } from '../helpers/openssl.js';
import type { FuzzTarget, PreparedTarget, Step } from './targets.js';

export interface TargetReport {
  name: string;
  inputs: number;
  outcomes: Map<string, number>;
  exceptions: number;
  internalErrors: number;
  invariantFailures: number;
  /** Files written for the failing inputs. */
  failures: string[];
  /** Milliseconds spent in this target. */
  ms: number;
}

export interface FuzzReport {
  targets: TargetReport[];
  seconds: number;
  heapStart: number;
  heapEnd: number;
  heapMax: number;
  violations: number;
}

export interface FuzzOptions {
  targets: readonly FuzzTarget[];
  /** Total time, split among the targets by their weight. Ignored when `inputsPerTarget` is given. */
  seconds?: number;
  /** A fixed number of inputs per target instead of a time (deterministic: for tests). */
  inputsPerTarget?: number;
  seed: number;
  /** Where failing inputs are written; undefined writes none. */
  failuresDir?: string;
  /** Time slice per target turn and unit of weight, ms. */
  sliceMs?: number;
  log?: (line: string) => void;
  /** Measure the heap (full GCs): the CLI does, the short run in the test suite does not need to. */
  measureHeap?: boolean;
}

function heapInUse(): number {
  fullGc();
  fullGc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function record(report: TargetReport, step: Step, options: FuzzOptions): void {
  report.inputs++;
  const v = step.verdict;
  report.outcomes.set(v.outcome, (report.outcomes.get(v.outcome) ?? 0) + 1);
  if (!v.violation) return;
  if (v.violation.kind === 'exception') report.exceptions++;
  else if (v.violation.kind === 'internal_error') report.internalErrors++;
  else report.invariantFailures++;
  const line = `${report.name}: ${v.violation.kind}: ${v.violation.detail.split('\n')[0]} (seed ${step.seed}; ${step.how})`;
  options.log?.(`VIOLATION ${line}`);
  if (options.failuresDir && report.failures.length < 20) {
    mkdirSync(options.failuresDir, { recursive: true });
    const base = join(options.failuresDir, `${report.name}-${options.seed}-${report.inputs}`);
    writeFileSync(`${base}.bin`, step.input);
    writeFileSync(
      `${base}.json`,
      JSON.stringify({ target: report.name, seed: step.seed, cuts: step.cuts, mutation: step.how, violation: v.violation }, null, 2) + '\n',
    );
    report.failures.push(`${base}.bin`);
  }
}

export function runFuzz(options: FuzzOptions): FuzzReport {
  const started = Date.now();
  const rand = seededRandom(options.seed);
  const prepared: { target: FuzzTarget; ready: PreparedTarget; report: TargetReport }[] = options.targets.map((target) => ({
    target,
    ready: target.prepare(),
    report: { name: target.name, inputs: 0, outcomes: new Map(), exceptions: 0, internalErrors: 0, invariantFailures: 0, failures: [], ms: 0 },
  }));
  const measure = options.measureHeap ?? true;
  const slice = options.sliceMs ?? 1000;
  let heapStart = 0;
  let heapMax = 0;
  const turn = (p: (typeof prepared)[number], until: (count: number, t: number) => boolean): void => {
    const t0 = performance.now();
    let count = 0;
    while (!until(count, performance.now() - t0)) {
      record(p.report, p.ready.step(rand), options);
      count++;
    }
    p.report.ms += performance.now() - t0;
  };

  if (options.inputsPerTarget !== undefined) {
    const n = options.inputsPerTarget;
    for (const p of prepared) turn(p, (count) => count >= n);
  } else {
    const deadline = started + (options.seconds ?? 10) * 1000;
    let round = 0;
    while (Date.now() < deadline) {
      for (const p of prepared) {
        const left = deadline - Date.now();
        if (left <= 0) break;
        turn(p, (_count, t) => t >= Math.min(slice * p.target.weight, left));
      }
      round++;
      if (measure && round === 1) {
        heapStart = heapInUse();
        heapMax = heapStart;
        options.log?.(`heap after the warm-up round: ${(heapStart / 2 ** 20).toFixed(1)} MiB`);
      } else if (measure && round % 10 === 0) {
        heapMax = Math.max(heapMax, heapInUse());
      }
      if (round % 5 === 0) options.log?.(progress(prepared.map((p) => p.report), Date.now() - started));
    }
  }
  const heapEnd = measure ? heapInUse() : 0;
  if (measure && heapStart === 0) heapStart = heapEnd;
  heapMax = Math.max(heapMax, heapEnd);
  const reports = prepared.map((p) => p.report);
  return {
    targets: reports,
    seconds: (Date.now() - started) / 1000,
    heapStart,
    heapEnd,
    heapMax,
    violations: reports.reduce((n, r) => n + r.exceptions + r.internalErrors + r.invariantFailures, 0),
  };
}

function progress(reports: readonly TargetReport[], ms: number): string {
  const total = reports.reduce((n, r) => n + r.inputs, 0);
  return `${(ms / 1000).toFixed(0)} s: ${total} inputs (${reports.map((r) => `${r.name} ${r.inputs}`).join(', ')})`;
}

const MIB = 2 ** 20;

export function formatReport(report: FuzzReport): string {
  const lines: string[] = [];
  const total = report.targets.reduce((n, r) => n + r.inputs, 0);
  lines.push(`target          inputs   inputs/s  outcomes  exceptions  internal_error  other`);
  for (const r of report.targets) {
    const rate = r.ms > 0 ? (r.inputs / (r.ms / 1000)).toFixed(0) : '-';
    lines.push(
      `${r.name.padEnd(14)} ${String(r.inputs).padStart(8)} ${rate.padStart(10)} ${String(r.outcomes.size).padStart(9)} ${String(r.exceptions).padStart(11)} ${String(r.internalErrors).padStart(15)} ${String(r.invariantFailures).padStart(6)}`,
    );
  }
  lines.push(`total ${total} inputs in ${report.seconds.toFixed(0)} s; violations ${report.violations}`);
  lines.push(
    `heap (V8 heap + ArrayBuffers, after full GC): start ${(report.heapStart / MIB).toFixed(1)} MiB, end ${(report.heapEnd / MIB).toFixed(1)} MiB, max ${(report.heapMax / MIB).toFixed(1)} MiB`,
  );
  for (const r of report.targets) {
    const top = [...r.outcomes.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`);
    lines.push(`  ${r.name}: ${top.join(', ')}`);
  }
  return lines.join('\n');
}
