// The server certificate for the examples: KEY_FILE and CERT_FILE (PEM) when given, else a
// fresh self-signed one for localhost (curl -k, or a client with rejectUnauthorized: false).
import { readFileSync } from 'node:fs';
import { createSelfSignedCertificate } from 'puretls';

export function certificate() {
  if (process.env.KEY_FILE && process.env.CERT_FILE) {
    return { key: readFileSync(process.env.KEY_FILE), cert: readFileSync(process.env.CERT_FILE) };
  }
  const made = createSelfSignedCertificate({ commonName: 'localhost' });
  return { key: made.keyPem, cert: made.certPem };
}

/** Listens on PORT (default 8443) and says where. */
export function listen(server, what) {
  server.listen(Number(process.env.PORT ?? 8443), () => console.log(`${what} listening on https://localhost:${server.address().port}/`));
}
