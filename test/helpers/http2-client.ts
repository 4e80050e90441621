import type { ClientHttp2Session } from 'node:http2';

/** GET `path` on an HTTP/2 session; the response body as text. */
export function h2Get(client: ClientHttp2Session, path = '/'): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const req = client.request({ ':path': path });
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}
