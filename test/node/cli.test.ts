/**
 * The demo command's options: --alpn (HTTP/2 with HTTP/1.1 on one port),
 * --request-cert with --ca (the client certificate on the page), -v (the message trace on
 * stderr), and a usage line that says how it was started (npm start, npx, the command).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import https from 'node:https';
import http2 from 'node:http2';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'mocha';
import { invokedAs } from '../../src/cli.js';
import { clientCerts } from '../helpers/client-certs.js';
import { h2Get } from '../helpers/http2-client.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = join(repo, 'dist', 'src', 'cli.js');

describe('the demo command (src/cli.ts)', function () {
  this.timeout(60_000);
  let child: ChildProcess | undefined;

  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill();
      await new Promise((r) => child!.once('exit', r));
    }
  });

  it('the usage line names the way it was started', () => {
    assert.equal(invokedAs({ npm_lifecycle_event: 'start' }, CLI), 'npm start --');
    assert.equal(invokedAs({ npm_command: 'exec' }, '/p/node_modules/.bin/puretls-demo'), 'npx puretls-demo');
    assert.equal(invokedAs({}, '/usr/local/bin/puretls-demo'), 'puretls-demo');
    assert.match(invokedAs({}, CLI), /^node .*cli\.js$/);
    const help = spawnSync(process.execPath, [CLI, '--help'], {
      env: { ...process.env, npm_command: 'exec', npm_lifecycle_event: '' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    assert.match(help.stdout, /^usage: npx puretls-demo \[--port 8443\]/);
    assert.match(help.stdout, /--alpn h2,http\/1\.1\] \[--request-cert \[--ca ca\.pem\]\] \[-v\]/);
  });

  it('--alpn h2,http/1.1 --request-cert --ca root.pem -v: the HTTP/2 page shows ALPN and the client certificate, the HTTP/1.1 page ALPN and that none was sent; stderr has the trace', async () => {
    const c = clientCerts();
    child = spawn(process.execPath, [CLI, '--port', '0', '--alpn', 'h2,http/1.1', '--request-cert', '--ca', c.root.certFile, '-v'], {
      env: { ...process.env, NODE_OPTIONS: '', npm_lifecycle_event: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: child!.stdout! }).on('line', (line) => {
        const m = /listening on https:\/\/localhost:(\d+)\//.exec(line);
        if (m) resolve(Number(m[1]));
      });
      child!.once('exit', (code) => reject(new Error(`the demo exited (${code}): ${stderr}`)));
    });
    const client = http2.connect(`https://localhost:${port}`, { rejectUnauthorized: false, key: c.p256.keyPem, cert: c.p256.pem });
    const h2Page = await h2Get(client);
    client.close();
    assert.match(h2Page, /<th>ALPN<\/th><td>h2<\/td>/);
    assert.match(h2Page, /<th>Client certificate<\/th><td>client p256 \(issuer puretls test client root\)<\/td>/);
    assert.match(h2Page, /<th>Client certificate verified<\/th><td>yes<\/td>/);
    const h1Page = await new Promise<string>((resolve, reject) => {
      https
        .get({ host: 'localhost', port, path: '/', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'], agent: false } as https.RequestOptions, (res) => {
          let text = '';
          res.on('data', (d: Buffer) => (text += d.toString()));
          res.on('end', () => resolve(text));
        })
        .on('error', reject);
    });
    assert.match(h1Page, /<th>ALPN<\/th><td>http\/1\.1<\/td>/);
    assert.match(h1Page, /<th>Client certificate<\/th><td>\(none; UNABLE_TO_GET_ISSUER_CERT\)<\/td>/);
    assert.match(stderr, /<<< received record: handshake, \d+ bytes\n {4}client_hello, /);
    assert.match(stderr, / {4}certificate_request, \d+ bytes: signature algorithms: ecdsa_secp256r1_sha256/);
  });
});
