import { HandshakeType } from '../../codec/enums.js';
import { Reader } from '../../codec/reader.js';
import { encodeHandshake } from './framing.js';

/** RFC 5077 §3.3: ticket_lifetime_hint (seconds) and the opaque ticket. */
export function encodeNewSessionTicket(lifetimeHintSeconds: number, ticket: Uint8Array): Uint8Array {
  return encodeHandshake(
    HandshakeType.new_session_ticket,
    (w) => {
      w.u32(lifetimeHintSeconds).vec16(ticket);
    },
    ticket.length + 10,
  );
}

/** RFC 5077 §3.3, as a client reads it. */
export interface NewSessionTicket {
  lifetimeHint: number;
  /** Empty when the server promised a ticket and then could not make one (§3.3). */
  ticket: Uint8Array;
}

export function decodeNewSessionTicket(body: Uint8Array): NewSessionTicket {
  const r = new Reader(body);
  const lifetimeHint = r.u32();
  const ticket = r.vec16();
  r.expectEmpty('NewSessionTicket');
  return { lifetimeHint, ticket };
}
