/**
 * Summarises a V8 CPU profile (.cpuprofile, as --cpu-prof or the inspector's Profiler
 * writes it) by self time: per module group (noble/curves, noble/hashes, noble/ciphers,
 * each puretls file, node internals, GC, ...) and per function.
 *
 *   node dist/bench/profile.js some.cpuprofile [more.cpuprofile ...]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileGroup {
  name: string;
  ms: number;
  /** Share of the busy (non-idle) time. */
  share: number;
}

export interface ProfileFunction {
  name: string;
  where: string;
  group: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  /** Sampled time, idle excluded. */
  busyMs: number;
  idleMs: number;
  groups: ProfileGroup[];
  functions: ProfileFunction[];
}

/** Native bindings of node's stream handles: their self time is mostly the system call. */
const NATIVE_SOCKET_CALLS = new Set([
  'writeBuffer',
  'writev',
  'writeUtf8String',
  'writeLatin1String',
  'writeAsciiString',
  'writeUcs2String',
  'shutdown',
  'close',
  'readStart',
  'readStop',
  'setNoDelay',
  'setKeepAlive',
  'getpeername',
  'getsockname',
]);

/** The module group a frame belongs to. */
export function groupOf(url: string, functionName: string): string {
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(idle)') return '(idle)';
  if (functionName === '(program)') return 'V8/native, unattributed ((program))';
  if (functionName === '(root)') return '(root)';
  const noble = /@noble\/(curves|hashes|ciphers)\//.exec(url);
  if (noble) return `noble/${noble[1]}`;
  const own = /\/dist\/((?:src|bench|test)\/.*)\.js$/.exec(url);
  if (own) return own[1]!.startsWith('src/') ? `puretls ${own[1]}.ts` : `bench harness (${own[1]}.ts)`;
  if (url.startsWith('node:')) return 'node internals (net, streams, events, timers)';
  if (url === '') return NATIVE_SOCKET_CALLS.has(functionName) ? 'socket system calls (native write/shutdown/close)' : 'V8 builtins / other native functions';
  return `other: ${url.replace(/^.*node_modules\//, '')}`;
}

/** Self time per node, in microseconds, from the samples and their time deltas. */
function selfTimes(profile: CpuProfile): Map<number, number> {
  const self = new Map<number, number>();
  const samples = profile.samples;
  const deltas = profile.timeDeltas;
  if (samples && deltas && samples.length === deltas.length && samples.length > 0) {
    // timeDeltas[i] is the time before sample i: charge the interval after a sample to it.
    for (let i = 0; i < samples.length; i++) {
      const dt = i + 1 < deltas.length ? deltas[i + 1]! : 0;
      self.set(samples[i]!, (self.get(samples[i]!) ?? 0) + Math.max(0, dt));
    }
    return self;
  }
  // Old format: hit counts only, spread evenly.
  const hits = profile.nodes.reduce((n, node) => n + (node.hitCount ?? 0), 0);
  const per = hits > 0 ? (profile.endTime - profile.startTime) / hits : 0;
  for (const node of profile.nodes) self.set(node.id, (node.hitCount ?? 0) * per);
  return self;
}

export function summarise(profile: CpuProfile, topFunctions = 15): ProfileSummary {
  const self = selfTimes(profile);
  const groups = new Map<string, number>();
  const functions = new Map<string, { name: string; where: string; group: string; us: number }>();
  let idle = 0;
  let busy = 0;
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const group = groupOf(url, functionName);
    if (group === '(idle)') {
      idle += us;
      continue;
    }
    if (group === '(root)') continue;
    busy += us;
    groups.set(group, (groups.get(group) ?? 0) + us);
    const file = url.replace(/^.*\/(node_modules|dist)\//, '').replace(/^file:\/\//, '');
    const where = url ? `${file}:${lineNumber + 1}` : '';
    const key = `${functionName}@${where}`;
    const f = functions.get(key) ?? { name: functionName || '(anonymous)', where, group, us: 0 };
    f.us += us;
    functions.set(key, f);
  }
  const share = (us: number): number => (busy > 0 ? us / busy : 0);
  return {
    busyMs: busy / 1000,
    idleMs: idle / 1000,
    groups: [...groups].map(([name, us]) => ({ name, ms: us / 1000, share: share(us) })).sort((a, b) => b.ms - a.ms),
    functions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, topFunctions)
      .map((f) => ({ name: f.name, where: f.where, group: f.group, ms: f.us / 1000, share: share(f.us) })),
  };
}

/** Groups folded into the families the README talks about. */
export function families(summary: ProfileSummary): ProfileGroup[] {
  const fold = new Map<string, number>();
  for (const g of summary.groups) {
    const family = g.name.startsWith('puretls ') ? 'puretls (all files)' : g.name;
    fold.set(family, (fold.get(family) ?? 0) + g.ms);
  }
  return [...fold]
    .map(([name, ms]) => ({ name, ms, share: summary.busyMs > 0 ? ms / summary.busyMs : 0 }))
    .sort((a, b) => b.ms - a.ms);
}

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** Markdown: families, then every group, then the top functions. */
export function profileMarkdown(title: string, summary: ProfileSummary, perHandshake?: string): string {
  const lines: string[] = [];
  lines.push(`#### ${title}`);
  lines.push('');
  lines.push(`${summary.busyMs.toFixed(0)} ms of busy samples (${summary.idleMs.toFixed(0)} ms idle)${perHandshake ? `; ${perHandshake}` : ''}.`);
  lines.push('');
  lines.push('| where (self time) | share |');
  lines.push('| --- | ---: |');
  for (const f of families(summary)) lines.push(`| ${f.name} | ${pct(f.share)} |`);
  const own = summary.groups.filter((g) => g.name.startsWith('puretls '));
  if (own.length > 0) {
    lines.push('');
    lines.push(`puretls by file: ${own.slice(0, 8).map((g) => `${g.name.slice(8)} ${pct(g.share)}`).join(', ')}.`);
  }
  lines.push('');
  lines.push('| top functions (self) | where | share |');
  lines.push('| --- | --- | ---: |');
  for (const f of summary.functions.slice(0, 12)) lines.push(`| \`${f.name}\` | ${f.where || f.group} | ${pct(f.share)} |`);
  lines.push('');
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node dist/bench/profile.js FILE.cpuprofile ...');
    process.exit(2);
  }
  for (const file of files) console.log(profileMarkdown(file, summarise(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile)));
}
