// Express over puretls: puretls terminates TLS, node's http server speaks HTTP on its sockets.
//   node examples/express.mjs            then   curl -k https://localhost:8443/
// Express reads TLS from the socket: req.secure and req.protocol come from `encrypted`,
// req.ip from `remoteAddress`.
import http from 'node:http';
import express from 'express';
import tls from 'puretls';
import { certificate, listen } from './certificate.mjs';

const app = express();
app.get('/', (req, res) => {
  res.json({
    secure: req.secure,
    protocol: req.protocol,
    ip: req.ip,
    tls: req.socket.getProtocol(),
    cipher: req.socket.getCipher().name,
  });
});

const web = http.createServer(app);
const server = tls.createServer({ ...certificate(), ALPNProtocols: ['http/1.1'] }, (socket) => web.emit('connection', socket));
listen(server, 'express');
