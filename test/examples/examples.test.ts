/**
 * The examples in examples/ run as a user runs them (`node examples/x.mjs`, importing
 * 'puretls' as the package), each on a free port, and real clients check what they serve:
 * node:https against Express, node's http2 client and node:https against the http2 example,
 * a `ws` client against the WebSocket example, node:https with and without a client
 * certificate against the mTLS example.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import https from 'node:https';
import http2 from 'node:http2';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'mocha';
import WebSocket from 'ws';
import { clientCerts } from '../helpers/client-certs.js';
import { testCertificate } from '../helpers/fixtures.js';
import { TempDirs } from '../helpers/peers.js';
import { h2Get } from '../helpers/http2-client.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

interface Running {
  port: number;
  child: ChildProcess;
  output: string[];
  /** The first output line starting with `prefix`, as soon as it is printed (bounded by mocha's timeout). */
  line(prefix: string): Promise<string>;
}

describe('examples/', function () {
  this.timeout(60_000);
  const temp = new TempDirs();
  const children: ChildProcess[] = [];
  let env: NodeJS.ProcessEnv;
  const ca = (): string => testCertificate().certPem;

  before(() => {
    const dir = temp.make('puretls-examples-');
    const cert = testCertificate();
    writeFileSync(join(dir, 'key.pem'), cert.keyPem);
    writeFileSync(join(dir, 'cert.pem'), cert.certPem);
    env = { ...process.env, NODE_OPTIONS: '', PORT: '0', KEY_FILE: join(dir, 'key.pem'), CERT_FILE: join(dir, 'cert.pem'), CA_FILE: clientCerts().root.certFile };
  });

  after(async () => {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill();
        await new Promise((r) => child.once('exit', r));
      }
    }
    temp.dispose();
  });

  /** Starts examples/<name>.mjs and waits for its "listening on" line. */
  async function start(name: string): Promise<Running> {
    const child = spawn(process.execPath, [join(repo, 'examples', `${name}.mjs`)], { cwd: repo, env, stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    const output: string[] = [];
    const waiters: Array<{ prefix: string; resolve: (line: string) => void }> = [];
    const lines = createInterface({ input: child.stdout! });
    const port = await new Promise<number>((resolve, reject) => {
      lines.on('line', (line) => {
        output.push(line);
        for (const w of waiters.filter((w) => line.startsWith(w.prefix))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
        const m = /listening on https:\/\/localhost:(\d+)\//.exec(line);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`examples/${name}.mjs exited (${code}): ${output.join('\n')}`)));
    });
    const line = (prefix: string): Promise<string> => {
      const seen = output.find((l) => l.startsWith(prefix));
      return seen !== undefined ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ prefix, resolve }));
    };
    return { port, child, output, line };
  }

  function get(port: number, options: https.RequestOptions = {}): Promise<{ status: number | undefined; body: string }> {
    return new Promise((resolve, reject) => {
      https
        .get({ host: 'localhost', port, path: '/', ca: ca(), agent: false, ...options }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => resolve({ status: res.statusCode, body }));
        })
        .on('error', reject);
    });
  }

  it('express.mjs: Express sees a secure request (req.secure, req.protocol, req.ip from our socket)', async () => {
    const { port } = await start('express');
    const r = await get(port);
    assert.equal(r.status, 200);
    const body = JSON.parse(r.body) as Record<string, unknown>;
    assert.equal(body.secure, true);
    assert.equal(body.protocol, 'https');
    assert.match(String(body.ip), /127\.0\.0\.1$/);
    assert.equal(body.tls, 'TLSv1.2');
  });

  it('http2.mjs: HTTP/2 for node\'s http2 client, HTTP/1.1 for node:https, one port', async () => {
    const { port } = await start('http2');
    const client = http2.connect(`https://localhost:${port}`, { ca: ca() });
    try {
      const body = await h2Get(client);
      const saw = JSON.parse(body) as Record<string, unknown>;
      assert.match(String(saw.remoteAddress), /127\.0\.0\.1$/, 'the example listens on every interface: an IPv4 address may come IPv6-mapped');
      assert.deepEqual({ ...saw, remoteAddress: undefined }, { httpVersion: '2.0', alpn: 'h2', encrypted: true, remoteAddress: undefined });
    } finally {
      client.close();
    }
    const http1 = JSON.parse((await get(port)).body) as Record<string, unknown>;
    assert.equal(http1.httpVersion, '1.1');
    assert.equal(http1.encrypted, true);
  });

  it('websocket.mjs: a ws client gets the greeting and its echo over wss://', async () => {
    const { port } = await start('websocket');
    const ws = new WebSocket(`wss://localhost:${port}/`, { ca: ca() });
    const messages: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (data: Buffer) => {
        messages.push(data.toString());
        if (messages.length === 1) ws.send('ping');
        else resolve();
      });
      ws.on('error', reject);
    });
    ws.close();
    assert.match(messages[0]!, /^hello from TLSv1\.2 ECDHE-ECDSA-/);
    assert.equal(messages[1], 'echo: ping');
  });

  it('mtls.mjs: a client with a certificate from the CA is greeted by name; one without is refused', async () => {
    const running = await start('mtls');
    const c = clientCerts().p256;
    const r = await get(running.port, { key: c.keyPem, cert: c.pem });
    const body = JSON.parse(r.body) as Record<string, unknown>;
    assert.equal(body.hello, 'client p256');
    assert.equal(body.issuer, 'puretls test client root');
    assert.equal(body.authorized, true);
    assert.equal(body.fingerprint256, c.fingerprint256);
    await assert.rejects(get(running.port), /alert|socket hang up|ECONNRESET/);
    assert.equal(await running.line('refused:'), 'refused: ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE (ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE)');
  });
});
