// WebSockets (the `ws` package) over puretls: ws upgrades requests of the http server that
// puretls hands its sockets to.
//   node examples/websocket.mjs   then connect a WebSocket client to wss://localhost:8443/
import http from 'node:http';
import { WebSocketServer } from 'ws';
import tls from 'puretls';
import { certificate, listen } from './certificate.mjs';

const web = http.createServer((req, res) => res.end('connect with a WebSocket\n'));
const wss = new WebSocketServer({ server: web });
wss.on('connection', (ws, req) => {
  ws.send(`hello from ${req.socket.getProtocol()} ${req.socket.getCipher().name}`);
  ws.on('message', (data) => ws.send(`echo: ${data}`));
});

const server = tls.createServer({ ...certificate(), ALPNProtocols: ['http/1.1'] }, (socket) => web.emit('connection', socket));
listen(server, 'websocket');
