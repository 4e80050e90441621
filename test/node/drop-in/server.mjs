// A node:tls server program, written for node:tls. test/node/drop-in.test.ts runs this text
// twice: as it is, and with the one import of 'node:tls' below changed to 'puretls'.
import tls from 'node:tls';
import { constants } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const read = (name) => readFileSync(join(process.env.CERTS, name));
const other = tls.createSecureContext({ key: read('other.key'), cert: read('other.pem') });
const sessions = new Map();
const events = { secureConnection: 0, tlsClientError: [], keylog: 0, newSession: 0, resumeSession: 0 };

const server = tls.createServer(
  {
    key: read('server.key'),
    cert: read('server.pem'),
    ca: read('ca.pem'),
    requestCert: true,
    rejectUnauthorized: false,
    ALPNProtocols: ['h2', 'http/1.1'],
    SNICallback: (servername, cb) => cb(null, servername === 'other.test' ? other : undefined),
    sessionIdContext: 'drop-in',
    ticketKeys: Buffer.alloc(48, 7),
    secureOptions: constants.SSL_OP_NO_TLSv1 | constants.SSL_OP_NO_TLSv1_1,
    minVersion: 'TLSv1.2',
  },
  (socket) => {
    events.secureConnection++;
    const peer = socket.getPeerCertificate();
    socket.end(
      JSON.stringify({
        protocol: socket.getProtocol(),
        alpn: socket.alpnProtocol,
        servername: socket.servername,
        authorized: socket.authorized,
        authorizationError: socket.authorizationError,
        peer: peer.subject ? peer.subject.CN : null,
        reused: socket.isSessionReused(),
      }),
    );
  },
);
server.on('tlsClientError', (err) => events.tlsClientError.push(err.code));
server.on('keylog', (line) => {
  if (/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}\n$/.test(line.toString())) events.keylog++;
});
server.on('newSession', (id, data, done) => {
  events.newSession++;
  sessions.set(id.toString('hex'), data);
  done();
});
server.on('resumeSession', (id, done) => {
  events.resumeSession++;
  done(null, sessions.get(id.toString('hex')) ?? null);
});

server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })));
process.stdin.on('end', () => {
  console.log(JSON.stringify({ events }));
  server.close();
  process.exit(0);
});
process.stdin.resume();
