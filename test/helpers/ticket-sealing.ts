/**
 * Tickets made with a known local ticket key (node:tls's 48-byte format), outside the
 * keyring: the key name, a nonce and AES-256-GCM under the key HKDF derives from the 32
 * secret bytes (src/session/tickets.ts, TICKET_KEY_INFO). What only a leaked key could make,
 * so fuzz and property tests can reach what is inside the AEAD.
 */
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { TICKET_KEY_INFO, TICKET_KEY_NAME_LENGTH, TICKET_NONCE_LENGTH, hkdfSha256 } from '../../src/session/tickets.js';

export interface TicketSealer {
  /** The key's 16-byte name, the first bytes of each of its tickets. */
  readonly name: Uint8Array;
  /** A ticket of this key (right name, valid tag) around any plaintext. */
  seal(plaintext: Uint8Array, nonce?: Uint8Array): Uint8Array;
  /** The plaintext of a ticket whose name and tag are this key's, else null. */
  open(ticket: Uint8Array): Uint8Array | null;
}

export function ticketSealer(crypto: CryptoProvider, keys: Uint8Array): TicketSealer {
  const name = keys.slice(0, TICKET_KEY_NAME_LENGTH);
  const aeadKey = hkdfSha256(crypto, keys.subarray(TICKET_KEY_NAME_LENGTH), new Uint8Array(0), new TextEncoder().encode(TICKET_KEY_INFO), 32);
  const aead = crypto.aead('aes-256-gcm', aeadKey);
  const headerLength = TICKET_KEY_NAME_LENGTH + TICKET_NONCE_LENGTH;
  return {
    name,
    seal(plaintext, nonce = new Uint8Array(TICKET_NONCE_LENGTH)) {
      return Uint8Array.from([...name, ...nonce, ...aead.seal(nonce, name, plaintext)]);
    },
    open(ticket) {
      if (ticket.length < headerLength || !ticket.subarray(0, TICKET_KEY_NAME_LENGTH).every((b, i) => b === name[i])) return null;
      return aead.open(ticket.subarray(TICKET_KEY_NAME_LENGTH, headerLength), name, ticket.subarray(headerLength));
    },
  };
}
