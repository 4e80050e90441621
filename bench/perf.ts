/**
 * Where a server process's CPU goes, native code and every thread included: `perf record`
 * samples the process (all its threads) on the CPU clock, and node's `--perf-basic-prof`
 * map names the JIT-compiled JavaScript. Each sample is put in a group by the function it
 * landed in (self time), so the groups add up to the process's CPU time, which V8's own
 * profiler does not do (it labels native work inside libuv callbacks as idle).
 *
 *   node dist/bench/perf.js perf.data [cpuUsPerHandshake]   summarises a recording
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { pathToFileURL } from 'node:url';

/** Whether `perf record` works here (installed, and allowed to sample our processes). */
export function perfAvailable(): boolean {
  try {
    execFileSync('perf', ['record', '-e', 'cpu-clock', '-o', '/dev/null', '--', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Starts sampling `pid` (all its threads) at `hz` on the CPU clock; stop() ends it and resolves when the file is written. */
export function startPerfRecord(pid: number, file: string, hz = 999): { stop(): Promise<void> } {
  const child: ChildProcess = spawn('perf', ['record', '-e', 'cpu-clock', '-F', String(hz), '-p', String(pid), '-o', file], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    stop: async () => {
      child.kill('SIGINT');
      await exited;
    },
  };
}

export interface PerfGroup {
  name: string;
  samples: number;
  share: number;
}

export interface PerfThread {
  name: string;
  samples: number;
  share: number;
}

export interface PerfSummary {
  samples: number;
  groups: PerfGroup[];
  threads: PerfThread[];
  /** The heaviest symbols: name, group, share. */
  symbols: Array<{ name: string; group: string; share: number }>;
}

const GC = /(Heap|Scavenge|MarkCompact|Marking|Sweep|Evacuat|GCTracer|MinorMC|Compactor|RememberedSet|SlotSet|SemiSpace|NewSpace|PagedSpace|LargeObjectSpace|MemoryAllocator|MemoryChunk|ArrayBufferSweeper|PointersUpdating|GlobalHandles::Process)/;
/** OpenSSL is linked into node: its symbols by their usual prefixes (EVP_, ossl_, BN_, aesni_, sha256_block_..., x25519_fe64_...). */
const OPENSSL = /^(EVP_|evp_|ossl_|OSSL_|OPENSSL_|CRYPTO_|BN_|bn_|EC_|ec_|ecp_|ECDSA_|ECDH_|ecx_|x25519_|X25519|aesni_|aes_|AES_|gcm_|sha1_|sha256_|sha512_|SHA1|SHA256|SHA512|HMAC|ChaCha20|chacha20_|Poly1305|poly1305_|RAND_|ERR_|ASN1_|asn1_|X509|x509_|BIO_|SSL_|ssl_|tls_|tls1_|OBJ_|lh_|sk_|OPENSSL)/;
const COMPILER = /(compiler::|maglev::|baseline::|Compiler|Compile|Parser|Scanner|Bytecode|Turbofan|Pipeline|Zone)/;
const LIBC = /(libc[.-]|libstdc\+\+|libm[.-]|libpthread|ld-linux|libgcc)/;

/** The group of one sample, from its symbol and the object it is in. */
function groupOfSample(sym: string, dso: string): string {
  if (dso.includes('kernel') || dso === '[vdso]') return 'kernel (system calls, TCP, scheduling)';
  if (sym.startsWith('JS:') || sym.startsWith('Function:') || sym.startsWith('LazyCompile:') || dso.includes('perf-')) return jsGroup(sym);
  if (sym.startsWith('Builtins_') || sym.startsWith('Builtin:')) return 'V8 builtins (bytecode handlers, typed arrays, strings)';
  if (LIBC.test(dso)) return 'libc (malloc, memcpy)';
  if (OPENSSL.test(sym)) return 'OpenSSL (crypto, libssl)';
  if (sym.includes('v8::internal::') || sym.startsWith('v8::') || sym.startsWith('cppgc::')) {
    if (GC.test(sym)) return 'GC (V8 heap: scavenge, mark, sweep)';
    if (COMPILER.test(sym)) return 'V8 compiler (JIT, mostly on helper threads)';
    return 'V8 runtime (inline-cache misses, allocation, C++ builtins)';
  }
  if (sym.startsWith('node::') || sym.startsWith('uv_') || sym.startsWith('uv__')) return 'Node native (node::, libuv)';
  if (sym === '[unknown]' || sym === '') return 'unresolved native';
  return 'other native';
}

function jsGroup(sym: string): string {
  const noble = /@noble\/(curves|hashes|ciphers)\//.exec(sym);
  if (noble) return `JS: noble/${noble[1]}`;
  const own = /\/dist\/(src|bench|test)\/([^:\s]*)\.js/.exec(sym);
  if (own) return own[1] === 'src' ? `JS: puretls src/${own[2]}.ts` : 'JS: bench harness';
  if (/\bnode:/.test(sym)) return 'JS: node internals (net, streams, tls, events)';
  return 'JS: other (anonymous, eval, V8 stubs)';
}

/** Groups that are really one thing when summarised: all of puretls's own files. */
function coarseGroup(group: string): string {
  return group.startsWith('JS: puretls ') ? 'JS: puretls (all files)' : group;
}

/** node 20 leaves its V8 platform workers and libuv's pool named after the process: only the main thread stands apart. */
function threadName(comm: string, tid: number, pid: number): string {
  if (tid === pid) return 'main thread';
  if (comm.startsWith('libuv')) return 'libuv thread pool';
  return 'other threads (V8 GC and compiler helpers)';
}

/** Reads a perf.data file (perf script) into groups, threads and top symbols. */
export function summarisePerf(file: string, pid?: number): Promise<PerfSummary> {
  return new Promise((resolve, reject) => {
    execFile('perf', ['script', '-i', file, '-F', 'comm,pid,tid,ip,sym,dso'], { maxBuffer: 1 << 30 }, (err, stdout) => {
      if (err) return reject(err);
      const groups = new Map<string, number>();
      const threads = new Map<string, number>();
      const symbols = new Map<string, { group: string; n: number }>();
      let total = 0;
      for (const line of stdout.split('\n')) {
        // "<comm> <pid>/<tid> <ip> <sym> (<dso>)"; comm may contain spaces ("V8 DefaultWorke").
        const m = /^\s*(.*?)\s+(\d+)\/(\d+)\s+[0-9a-f]+\s+(.*?)\s*\(([^()]*)\)\s*$/.exec(line);
        if (!m) continue;
        const comm = m[1]!;
        const p = Number(m[2]);
        const tid = Number(m[3]);
        const sym = m[4]!.replace(/\+0x[0-9a-f]+$/, '');
        const dso = m[5]!;
        const group = groupOfSample(sym, dso);
        total++;
        groups.set(group, (groups.get(group) ?? 0) + 1);
        const t = threadName(comm, tid, pid ?? p);
        threads.set(t, (threads.get(t) ?? 0) + 1);
        const s = symbols.get(sym) ?? { group, n: 0 };
        s.n++;
        symbols.set(sym, s);
      }
      const share = (n: number): number => (total ? n / total : 0);
      resolve({
        samples: total,
        groups: [...groups].map(([name, samples]) => ({ name, samples, share: share(samples) })).sort((a, b) => b.samples - a.samples),
        threads: [...threads].map(([name, samples]) => ({ name, samples, share: share(samples) })).sort((a, b) => b.samples - a.samples),
        symbols: [...symbols]
          .map(([name, s]) => ({ name: name.length > 90 ? `${name.slice(0, 87)}...` : name, group: s.group, share: share(s.n) }))
          .sort((a, b) => b.share - a.share)
          .slice(0, 15),
      });
    });
  });
}

/** Markdown: groups in µs per handshake (share × measured CPU per handshake), threads, top symbols. */
export function perfMarkdown(title: string, s: PerfSummary, cpuUsPerHs: number, note: string): string {
  const coarse = new Map<string, number>();
  for (const g of s.groups) coarse.set(coarseGroup(g.name), (coarse.get(coarseGroup(g.name)) ?? 0) + g.share);
  const ownFiles = s.groups.filter((g) => g.name.startsWith('JS: puretls ')).slice(0, 8);
  const out = [
    `#### ${title}`,
    '',
    `${s.samples} samples; ${note}`,
    '',
    '| where (self time, all threads) | µs per handshake | share |',
    '| --- | ---: | ---: |',
    ...[...coarse].sort((a, b) => b[1] - a[1]).map(([name, share]) => `| ${name} | ${(share * cpuUsPerHs).toFixed(0)} | ${(share * 100).toFixed(1)}% |`),
    `| **total (measured CPU per handshake)** | **${cpuUsPerHs.toFixed(0)}** | 100% |`,
    '',
  ];
  if (ownFiles.length) out.push(`puretls by file: ${ownFiles.map((g) => `${g.name.slice('JS: puretls '.length)} ${(g.share * cpuUsPerHs).toFixed(0)} µs`).join(', ')}.`, '');
  out.push(`By thread: ${s.threads.map((t) => `${t.name} ${(t.share * 100).toFixed(1)}%`).join(', ')}.`, '');
  out.push('| top symbols (self) | group | share |', '| --- | --- | ---: |');
  for (const sym of s.symbols.slice(0, 12)) out.push(`| \`${sym.name.replace(/\|/g, '\\|').replace(/`/g, "'")}\` | ${sym.group} | ${(sym.share * 100).toFixed(1)}% |`);
  out.push('');
  return out.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [file, perHs] = process.argv.slice(2);
  if (!file) {
    console.error('usage: node dist/bench/perf.js perf.data [cpuUsPerHandshake]');
    process.exit(2);
  }
  const s = await summarisePerf(file);
  console.log(perfMarkdown(file, s, Number(perHs ?? 100), 'µs per handshake assume the given CPU per handshake (default 100: read them as percent)'));
}
