/**
 * The package as a user gets it: a fresh copy of the repository (what `git clone` gives:
 * tracked files, no dist/, no node_modules/) is packed with `npm pack` (its `prepare` builds),
 * the tarball is installed into an empty project, and that project imports it every way a
 * user would: ESM, require(), TypeScript with node16 and bundler resolution, and an esbuild
 * browser bundle of `puretls/core`; `puretls/redis` once `redis` (its optional peer) is
 * installed. Needs npm and its registry (or cache) for the @noble dependencies and redis.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'mocha';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const bin = (name: string): string => join(repo, 'node_modules', '.bin', name);

function run(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
}

/** What a clone has: the tracked files (and new ones not ignored), as they are in the work tree. */
function freshCopy(to: string): void {
  const files = run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], repo).split('\0').filter(Boolean);
  for (const f of files) {
    try {
      cpSync(join(repo, f), join(to, f), { recursive: false });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // deleted in the work tree
    }
  }
}

describe('the npm package, installed from a tarball into an empty project', function () {
  this.timeout(300_000);
  let dir: string;
  let project: string;
  let packed: { files: Array<{ path: string }>; unpackedSize: number; filename: string };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'puretls-pack-'));
    const clone = join(dir, 'clone');
    mkdirSync(clone);
    freshCopy(clone);
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], clone);
    packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], clone))[0];
    project = join(dir, 'project');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, packed.filename)], project);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  it('ships the compiled library and the documents only', () => {
    const paths = packed.files.map((f) => f.path);
    for (const p of paths) {
      assert.match(p, /^(dist\/src\/.*\.(js|d\.ts)|package\.json|README\.md|LICENSE|CHANGELOG\.md|SECURITY\.md)$/, p);
    }
    for (const needed of ['LICENSE', 'README.md', 'CHANGELOG.md', 'SECURITY.md', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/core.js', 'dist/src/cli.js']) {
      assert.ok(paths.includes(needed), `${needed} is missing from the package`);
    }
    // The library's JavaScript and types with their comments, and the documents, came to
    // 1.00 MB when SHA-256 became ours (2026-12-05); dist/test alone is 3 MB, so this still catches
    // a package that takes more than it should, with room for the library to grow.
    assert.ok(packed.unpackedSize < 1_250_000, `unpacked ${packed.unpackedSize} bytes`);
  });

  it('ESM: named exports from puretls and puretls/core', () => {
    const out = run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createServer, TlsContext, ServerConnection } from 'puretls';
         import * as core from 'puretls/core';
         const ctx = new core.TlsContext({ sessionIdContext: 'x' });
         new core.ServerConnection(ctx);
         console.log(typeof createServer, TlsContext === core.TlsContext, typeof ServerConnection, 'createServer' in core);`,
      ],
      project,
    );
    assert.equal(out.trim(), 'function true function false');
  });

  it("ESM: the default export is shaped like node:tls (import tls from 'puretls')", () => {
    const out = run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import tls, { createServer } from 'puretls';
         import nodeTls from 'node:tls';
         const ctx = tls.createSecureContext({ sessionIdContext: 'x' });
         const server = tls.createServer({ SNICallback: (name, cb) => cb(null, ctx) });
         console.log(tls.createServer === createServer, server instanceof tls.Server, ctx instanceof tls.SecureContext,
           tls.DEFAULT_MIN_VERSION, tls.getCiphers().includes('ecdhe-ecdsa-aes128-gcm-sha256'), typeof tls.TLSSocket,
           tls.checkServerIdentity === nodeTls.checkServerIdentity);`,
      ],
      project,
    );
    assert.equal(out.trim(), 'true true true TLSv1.2 true function true');
  });

  it('require() (Node 20.19+ loads the ESM package)', () => {
    const out = run(
      process.execPath,
      ['-e', `const p = require('puretls'); console.log(typeof p.createServer, typeof require('puretls/core').TlsContext, p.default.createServer === p.createServer)`],
      project,
    );
    assert.equal(out.trim(), 'function function true');
  });

  for (const [module, resolution] of [['node16', 'node16'], ['esnext', 'bundler']] as const) {
    it(`TypeScript, module ${module} with moduleResolution ${resolution}: the types resolve and check`, () => {
      const src = join(project, `check-${resolution}.mts`);
      writeFileSync(
        src,
        `import tls, { createServer, type TlsSocket, type ServerOptions } from 'puretls';
         import type nodeTls from 'node:tls';
         import { TlsContext, ServerConnection, type ConnectionOptions } from 'puretls/core';
         // The default export in node:tls's places, and our socket and server where node's go.
         export const asNode: nodeTls.Server = tls.createServer({ key: '', cert: '' }, (s: nodeTls.TLSSocket) => s.getPeerCertificate(true).issuerCertificate);
         export const ctx: nodeTls.SecureContext = tls.createSecureContext({ ciphers: tls.DEFAULT_CIPHERS });
         const options: ServerOptions = { requestCert: true };
         const server = createServer(options, (socket: TlsSocket) => socket.getProtocol());
         const conn: ServerConnection = new ServerConnection(new TlsContext(), { requestCert: false } satisfies ConnectionOptions);
         export const checked: [typeof server.context, string] = [conn.context, conn.clientAuth];
         // @ts-expect-error a wrong type must fail, or this check proves nothing
         export const wrong: number = conn.clientAuth;
        `,
      );
      run(
        bin('tsc'),
        ['--noEmit', '--strict', '--module', module, '--moduleResolution', resolution, '--target', 'es2022', '--types', 'node', '--typeRoots', join(repo, 'node_modules', '@types'), src],
        project,
      );
    });
  }

  it('esbuild --platform=browser bundles puretls/core (no node:* inside), and cannot bundle the Node layer', () => {
    writeFileSync(join(project, 'browser.mjs'), `import { TlsContext, ServerConnection } from 'puretls/core'; export const c = new ServerConnection(new TlsContext());`);
    run(bin('esbuild'), ['browser.mjs', '--bundle', '--platform=browser', '--format=esm', '--outfile=out/browser.js'], project);
    const bundle = readFileSync(join(project, 'out', 'browser.js'), 'utf8');
    assert.doesNotMatch(bundle, /["']node:/, 'a node:* import reached the browser bundle');
    writeFileSync(join(project, 'node-layer.mjs'), `export { createServer } from 'puretls';`);
    assert.throws(() => run(bin('esbuild'), ['node-layer.mjs', '--bundle', '--platform=browser', '--outfile=out/node.js'], project), /node:(net|tls)/);
  });

  it('puretls/redis: redis is an optional peer (not installed with puretls); once the user installs it, the subpath loads and its types check', () => {
    assert.ok(!existsSync(join(project, 'node_modules', 'redis')), 'installing puretls did not bring redis');
    assert.throws(() => run(process.execPath, ['--input-type=module', '-e', `await import('puretls/redis')`], project), /'redis'/);
    const version = (JSON.parse(readFileSync(join(repo, 'node_modules', 'redis', 'package.json'), 'utf8')) as { version: string }).version;
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', `redis@${version}`], project);
    const out = run(
      process.execPath,
      ['--input-type=module', '-e', `import { RedisSessionStore, RedisTicketKeys } from 'puretls/redis'; console.log(typeof RedisSessionStore, typeof RedisTicketKeys)`],
      project,
    );
    assert.equal(out.trim(), 'function function');
    const src = join(project, 'check-redis.mts');
    writeFileSync(
      src,
      `import { createServer } from 'puretls';
       import { RedisSessionStore, RedisTicketKeys, type RedisSessionStoreOptions } from 'puretls/redis';
       export function fleet(secret: Uint8Array) {
         const options: RedisSessionStoreOptions = { url: 'redis://127.0.0.1:6379', secret };
         return createServer({ sessionCache: new RedisSessionStore(options), ticketKeys: new RedisTicketKeys({ url: options.url, secret }) });
       }
       // @ts-expect-error the secret is bytes, not a string
       export const wrong: RedisSessionStoreOptions = { url: 'redis://x', secret: 'hunter2' };
      `,
    );
    run(
      bin('tsc'),
      ['--noEmit', '--strict', '--module', 'node16', '--moduleResolution', 'node16', '--target', 'es2022', '--types', 'node', '--typeRoots', join(repo, 'node_modules', '@types'), src],
      project,
    );
  });

  it('the demo command is installed and answers --help', () => {
    const out = run(join(project, 'node_modules', '.bin', 'puretls-demo'), ['--help'], project);
    assert.match(out, /--port/);
  });
});
