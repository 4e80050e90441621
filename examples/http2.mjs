// HTTP/2 with HTTP/1.1 on the same port: puretls chooses by ALPN (http2Listener), node's
// http2 serves 'h2', and HTTP/1.1 clients reach the same handler (as node's allowHTTP1).
//   node examples/http2.mjs   then   curl -k --http2 https://localhost:8443/   or   curl -k --http1.1 ...
import http2 from 'node:http2';
import tls, { http2Listener } from 'puretls';
import { certificate, listen } from './certificate.mjs';

const h2 = http2.createServer((req, res) => {
  const session = req.stream?.session; // HTTP/2 requests only
  res.setHeader('content-type', 'application/json');
  res.end(
    JSON.stringify({
      httpVersion: req.httpVersion,
      alpn: req.socket.alpnProtocol,
      encrypted: session ? session.encrypted : req.socket.encrypted,
      remoteAddress: req.socket.remoteAddress,
    }),
  );
});

const server = tls.createServer({ ...certificate(), ALPNProtocols: ['h2', 'http/1.1'] }, http2Listener(h2));
listen(server, 'http2');
