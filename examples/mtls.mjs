// Mutual TLS: only clients with a certificate from your CA get in, and the handler knows who
// they are. CA_FILE is the PEM of the CA that issues client certificates, e.g.
//   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -subj /CN=my-ca -days 30
//   openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout client.key -out client.csr -subj /CN=alice
//   openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -out client.pem -days 30
//   CA_FILE=ca.pem node examples/mtls.mjs   then   curl -k --cert client.pem --key client.key https://localhost:8443/
import http from 'node:http';
import { readFileSync } from 'node:fs';
import tls from 'puretls';
import { certificate, listen } from './certificate.mjs';

if (!process.env.CA_FILE) {
  console.error('set CA_FILE to the PEM of the CA that issues client certificates');
  process.exit(2);
}

const web = http.createServer((req, res) => {
  const peer = req.socket.getPeerCertificate(true);
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ hello: peer.subject.CN, issuer: peer.issuer.CN, fingerprint256: peer.fingerprint256, authorized: req.socket.authorized }));
});

const server = tls.createServer(
  {
    ...certificate(),
    ca: readFileSync(process.env.CA_FILE),
    requestCert: true, // ask for a client certificate
    rejectUnauthorized: true, // and refuse clients without one that verifies against ca (the default)
    sessionIdContext: 'mtls-example', // sessions resume only here, with the certificate they were made with
    ALPNProtocols: ['http/1.1'],
  },
  (socket) => web.emit('connection', socket),
);
server.on('tlsClientError', (err) => console.log(`refused: ${err.code} (${err.reason})`));
listen(server, 'mtls');
