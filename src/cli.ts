#!/usr/bin/env node
/**
 * The puretls demo: an HTTPS server like `openssl s_server -www`. Every GET is answered
 * with a page describing the TLS connection it came over.
 *
 *   npm start                      # port 8443, a fresh self-signed ECDSA P-256 certificate
 *   npm start -- --port 9443 --key key.pem --cert cert.pem --sid-ctx myapp
 *   npx puretls-demo --alpn h2,http/1.1 --ca ca.pem --request-cert -v
 *   npm start -- --key ec.key --cert ec.pem --key rsa.key --cert rsa.pem   # ECDSA and RSA, chosen per client
 *
 * Keys may be ECDSA (P-256, P-384), RSA (2048 to 4096 bits, PKCS#1 or PKCS#8, RSA-PSS too),
 * Ed25519 or Ed448.
 */
import { appendFileSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import { basename, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { toHex } from './codec/bytes.js';
import { signatureSchemeName } from './protocol/signature-schemes.js';
import { createSelfSignedCertificate } from './pki/index.js';
import { http2Listener } from './node/http2.js';
import { createServer, type Server } from './node/server.js';
import { TlsSocket } from './node/socket.js';

function hex(b: Uint8Array | undefined): string {
  return b && b.length > 0 ? toHex(b) : '(empty)';
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The facts the page shows, as name/value rows. */
export function describeConnection(socket: TlsSocket): Array<[string, string]> {
  const c = socket.connection;
  const stats = c.context.stats;
  return [
    ['Protocol', socket.getProtocol() ?? '-'],
    ['Cipher', `${c.cipher?.name ?? '-'} (${c.cipher?.standardName ?? '-'})`],
    ['Group', c.groupName ?? '(none: resumed session)'],
    ['Server certificate', serverCertificate(socket)],
    ['ALPN', socket.alpnProtocol || '(none)'],
    ['SNI', socket.servername || '(none)'],
    ['Session reused', socket.isSessionReused() ? 'yes' : 'no'],
    ['Session ID', hex(c.session?.sessionId)],
    ['Session ID context', hex(c.sessionIdContext)],
    ['Extended master secret', c.negotiated?.extendedMasterSecret ? 'yes' : 'no'],
    ['Secure renegotiation', c.negotiated?.secureRenegotiation ? 'supported' : 'not signalled'],
    ['Client', `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`],
    ...clientCertificateRows(socket),
    ['Sessions in cache', String(stats.number)],
    ['Handshakes (accept/good/hits/misses/mismatches)', `${stats.accept}/${stats.acceptGood}/${stats.hits}/${stats.misses}/${stats.contextMismatches}`],
  ];
}

/** The key of the certificate that served this handshake and the scheme it signed with. */
function serverCertificate(socket: TlsSocket): string {
  const n = socket.connection.negotiated;
  const cert = n?.certificate;
  if (!cert || n.signatureScheme === undefined) return '(none: resumed session)';
  const key = cert.curve ? `ECDSA ${cert.curve}` : cert.rsaBits !== undefined ? `${cert.keyType} ${cert.rsaBits} bits` : cert.keyType;
  return `${key}, ${signatureSchemeName(n.signatureScheme)}`;
}

/** With --request-cert: what the client's certificate says and whether it verified against --ca. */
function clientCertificateRows(socket: TlsSocket): Array<[string, string]> {
  if (socket.connection.clientAuth === 'none') return [];
  const peer = socket.getPeerCertificate();
  if (!peer.subject) return [['Client certificate', `(none; ${socket.authorizationErrorName ?? 'not verified'})`]];
  return [
    ['Client certificate', `${String(peer.subject.CN ?? '?')} (issuer ${String(peer.issuer?.CN ?? '?')})`],
    ['Client certificate verified', socket.authorized ? 'yes' : `no: ${socket.authorizationErrorName ?? '?'}`],
  ];
}

/** Our TlsSocket behind a request: HTTP/1.1's socket, or the one under an HTTP/2 session's wrapper. */
function tlsSocketOf(req: http.IncomingMessage | http2.Http2ServerRequest): TlsSocket | undefined {
  const socket = req.socket as unknown as { stream?: unknown };
  if (socket instanceof TlsSocket) return socket;
  return socket.stream instanceof TlsSocket ? socket.stream : undefined;
}

function page(socket: TlsSocket): string {
  const rows = describeConnection(socket)
    .map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>puretls</title>
<style>body{font-family:system-ui,sans-serif;margin:2em}th{text-align:left;padding-right:1em}td{font-family:monospace}</style>
</head><body>
<h1>puretls: TLS 1.2 in TypeScript</h1>
<table>
${rows}
</table>
</body></html>
`;
}

export interface DemoOptions {
  port: number;
  host?: string;
  /** One key, or several (each paired with the chain its leaf matches). */
  keyPem?: string | string[];
  /** One chain, or one per key. */
  certPem?: string | string[];
  sessionIdContext?: string;
  keylogFile?: string;
  /** ALPN protocols to offer; with 'h2', HTTP/2 (and HTTP/1.1 on the same port). Default: http/1.1. */
  alpn?: string[];
  /** Ask clients for a certificate and show it (verified against `caPem`, not required). */
  requestCert?: boolean;
  caPem?: string;
  /** Print a trace of every connection's messages to stderr. */
  trace?: boolean;
}

/** Starts the demo server; resolves once it listens. */
export async function startDemo(options: DemoOptions): Promise<{ tls: Server; http: http.Server }> {
  let keyPem = options.keyPem;
  let certPem = options.certPem;
  if (keyPem === undefined || certPem === undefined || keyPem.length === 0 || certPem.length === 0) {
    const made = createSelfSignedCertificate();
    keyPem = made.keyPem;
    certPem = made.certPem;
  }
  const respond = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse): void => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const socket = tlsSocketOf(req);
    const body = socket ? page(socket) : 'no TLS socket behind this request\n';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    if (req.method === 'HEAD') res.end();
    else res.end(body);
  };
  const app = http.createServer(respond);
  const alpn = options.alpn ?? ['http/1.1'];
  const tls = createServer(
    {
      key: keyPem,
      cert: certPem,
      ALPNProtocols: alpn,
      ...(options.sessionIdContext !== undefined ? { sessionIdContext: options.sessionIdContext } : {}),
      ...(options.requestCert ? { requestCert: true, rejectUnauthorized: false } : {}),
      ...(options.caPem !== undefined ? { ca: options.caPem } : {}),
      ...(options.trace ? { enableTrace: true } : {}),
    },
    alpn.includes('h2') ? http2Listener(http2.createServer(respond), { http1: app }) : (socket) => app.emit('connection', socket),
  );
  const keylogFile = options.keylogFile;
  if (keylogFile) {
    writeFileSync(keylogFile, '', { flag: 'a' });
    tls.on('keylog', (line: Buffer) => appendFileSync(keylogFile, line));
  }
  await new Promise<void>((resolve, reject) => {
    tls.once('error', reject);
    tls.listen(options.port, options.host, () => {
      tls.off('error', reject);
      resolve();
    });
  });
  return { tls, http: app };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: process.env.PORT ?? '8443' },
      host: { type: 'string' },
      key: { type: 'string', multiple: true },
      cert: { type: 'string', multiple: true },
      'sid-ctx': { type: 'string' },
      alpn: { type: 'string' },
      ca: { type: 'string' },
      'request-cert': { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(`usage: ${invokedAs()} [--port 8443] [--host 0.0.0.0] [--key key.pem --cert cert.pem ...] [--sid-ctx text]`);
    console.log('         [--alpn h2,http/1.1] [--request-cert [--ca ca.pem]] [-v]');
    console.log('  --alpn          ALPN protocols in preference order; with h2, HTTP/2 and HTTP/1.1 on one port');
    console.log('  --request-cert  ask clients for a certificate and show it on the page (not required)');
    console.log('  --ca            PEM CA certificates that client certificates are verified against');
    console.log('  -v, --verbose   print a trace of every TLS record and handshake message to stderr');
    console.log('Keys: ECDSA P-256/P-384, RSA 2048..4096 bits (also RSA-PSS), Ed25519, Ed448. Repeat --key/--cert to serve');
    console.log('several certificates (e.g. ECDSA and RSA): each client gets the first it accepts, ECDSA before RSA.');
    console.log('SSLKEYLOGFILE=path writes NSS key log lines for Wireshark.');
    return;
  }
  if (values.ca !== undefined && !values['request-cert']) throw new Error('--ca verifies client certificates: give --request-cert too');
  if ((values.key?.length ?? 0) !== (values.cert?.length ?? 0)) throw new Error('--key and --cert go together, one --cert per --key');
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad --port ${values.port}`);
  const demo: DemoOptions = { port };
  if (values.host !== undefined) demo.host = values.host;
  if (values.key !== undefined) demo.keyPem = values.key.map((f) => readFileSync(f, 'utf8'));
  if (values.cert !== undefined) demo.certPem = values.cert.map((f) => readFileSync(f, 'utf8'));
  if (values['sid-ctx'] !== undefined) demo.sessionIdContext = values['sid-ctx'];
  if (process.env.SSLKEYLOGFILE) demo.keylogFile = process.env.SSLKEYLOGFILE;
  if (values.alpn !== undefined) demo.alpn = values.alpn.split(',').map((p) => p.trim()).filter(Boolean);
  if (values['request-cert']) demo.requestCert = true;
  if (values.ca !== undefined) demo.caPem = readFileSync(values.ca, 'utf8');
  if (values.verbose) demo.trace = true;
  const { tls } = await startDemo(demo);
  const address = tls.address();
  const where = typeof address === 'object' && address ? address.port : port;
  console.log(`puretls demo listening on https://localhost:${where}/ (try: curl -k https://localhost:${where}/)`);
  if (!values.key) console.log('using a fresh self-signed ECDSA P-256 certificate for localhost');
  else for (const c of tls.context.certificates) console.log(`certificate: ${c.curve ? `ECDSA ${c.curve}` : c.keyType}${c.rsaBits ? ` ${c.rsaBits} bits` : ''}, CN ${c.leaf.subjectCommonName ?? '-'}`);
}

/**
 * How the user started us, for the usage line: `npm start --` from the repository,
 * `npx puretls-demo` through npx (npm exec), the installed command, or node and the file.
 */
export function invokedAs(env: NodeJS.ProcessEnv = process.env, argv1: string | undefined = process.argv[1]): string {
  if (env.npm_lifecycle_event === 'start') return 'npm start --';
  if (env.npm_command === 'exec') return 'npx puretls-demo';
  if (argv1 && basename(argv1) === 'puretls-demo') return 'puretls-demo';
  return `node ${argv1 ? relative(process.cwd(), argv1) || argv1 : 'dist/src/cli.js'}`;
}

// Run when executed directly, not when imported by tests.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main().catch((e: unknown) => {
    console.error(`puretls: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
