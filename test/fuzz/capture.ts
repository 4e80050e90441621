/**
 * Captures real clients' ClientHellos for the seed corpus: a loopback listener reads the
 * first records of each connection until a whole ClientHello is in, saves them, and closes.
 * Each client is a program installed on this machine (openssl s_client, gnutls-cli, curl,
 * NSS tstclnt, headless Chromium, Python's ssl) or node:tls itself. Run by
 * `npm run fuzz -- --capture-hellos`; the results are checked in under fuzz/corpus/hello/.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { concatBytes } from '../../src/codec/bytes.js';
import { splitRecords } from '../helpers/tls-client.js';
import { writeSeed } from './corpus.js';

/** The records that carry the first handshake message, once it is complete. */
function wholeHello(bytes: Uint8Array): Uint8Array | undefined {
  const { records } = splitRecords(bytes);
  let body: Uint8Array = new Uint8Array(0);
  let used = 0;
  for (const r of records) {
    used += r.raw.length;
    if (r.type !== 22) return undefined;
    body = concatBytes([body, r.fragment]);
    if (body.length >= 4 && body.length >= 4 + ((body[1]! << 16) | (body[2]! << 8) | body[3]!)) return bytes.slice(0, used);
  }
  return undefined;
}

interface Client {
  name: string;
  run(port: number, dir: string): (() => void) | undefined;
}

function program(cmd: string, args: (port: number, dir: string) => string[]): Client['run'] {
  return (port, dir) => {
    const child = spawn(cmd, args(port, dir), { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
    child.on('error', () => undefined);
    return () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
  };
}

const CLIENTS: Client[] = [
  { name: 'openssl-s_client', run: program('openssl', (p) => ['s_client', '-connect', `127.0.0.1:${p}`, '-servername', 'fuzz.example']) },
  {
    name: 'openssl-s_client-tls12-alpn',
    run: program('openssl', (p) => ['s_client', '-connect', `127.0.0.1:${p}`, '-tls1_2', '-alpn', 'h2,http/1.1', '-servername', 'fuzz.example']),
  },
  { name: 'gnutls-cli', run: program('gnutls-cli', (p) => ['--insecure', '--sni-hostname', 'fuzz.example', '-p', String(p), '127.0.0.1']) },
  { name: 'curl', run: program('curl', (p) => ['-sk', '--max-time', '5', `https://localhost:${p}/`]) },
  {
    name: 'nss-tstclnt',
    // tstclnt needs an NSS database, even an empty one.
    run: program('sh', (p, dir) => ['-c', `certutil -N --empty-password -d ${dir} && tstclnt -d ${dir} -h 127.0.0.1 -p ${p} -a fuzz.example -o -V tls1.2:tls1.3`]),
  },
  {
    name: 'chromium',
    run: program('chromium', (p, dir) => [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-dev-shm-usage',
      `--user-data-dir=${dir}`,
      '--dump-dom',
      `https://localhost:${p}/`,
    ]),
  },
  {
    name: 'python-ssl',
    run: program('python3', (p) => [
      '-c',
      `import socket,ssl;c=ssl.create_default_context();c.check_hostname=False;c.verify_mode=ssl.CERT_NONE;s=c.wrap_socket(socket.create_connection(("127.0.0.1",${p})),server_hostname="fuzz.example")`,
    ]),
  },
  {
    name: 'node-tls',
    run: (port) => {
      const socket = tls.connect({ port, host: '127.0.0.1', servername: 'fuzz.example', rejectUnauthorized: false, ALPNProtocols: ['h2', 'http/1.1'] });
      socket.on('error', () => undefined);
      return () => socket.destroy();
    },
  },
];

/** Captures one ClientHello per client; returns the names captured. */
export async function captureHellos(log: (line: string) => void): Promise<string[]> {
  const captured: string[] = [];
  for (const client of CLIENTS) {
    const dir = mkdtempSync(join(tmpdir(), 'puretls-capture-'));
    let stop: (() => void) | undefined;
    const hello = await new Promise<Uint8Array | undefined>((resolve) => {
      const server = net.createServer((socket) => {
        let got: Uint8Array = new Uint8Array(0);
        socket.on('data', (chunk: Buffer) => {
          got = concatBytes([got, new Uint8Array(chunk)]);
          const whole = wholeHello(got);
          if (whole) {
            socket.destroy();
            server.close();
            clearTimeout(timer);
            resolve(whole);
          }
        });
        socket.on('error', () => undefined);
      });
      const timer = setTimeout(() => {
        server.close();
        resolve(undefined);
      }, 20_000);
      server.listen(0, '127.0.0.1', () => {
        stop = client.run((server.address() as net.AddressInfo).port, dir);
      });
    });
    stop?.();
    rmSync(dir, { recursive: true, force: true });
    if (hello) {
      writeSeed('hello', `${client.name}.bin`, hello);
      captured.push(client.name);
      log(`captured ${client.name}: ${hello.length} bytes`);
    } else {
      log(`no ClientHello from ${client.name} (not installed, or it did not connect)`);
    }
  }
  return captured;
}
