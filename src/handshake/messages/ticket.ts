import { HandshakeType } from '../../codec/enums.js';
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
