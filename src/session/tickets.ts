import { latin1String } from '../codec/bytes.js';
import { constantTimeEqual, type Aead, type CryptoProvider } from '../crypto/provider.js';
import { TlsConfigError } from '../errors.js';
import { Session } from './session.js';

/**
 * RFC 5077 session tickets: the server's whole session state, sealed under a key only the
 * server (or its fleet) knows, and handed to the client to keep.
 *
 * Ticket layout (RFC 5077 §4's recommended structure, with an AEAD in place of its
 * AES-CBC + HMAC-SHA256):
 *
 *   struct {
 *       opaque key_name[16];     // which key sealed it; public, sent in the clear
 *       opaque nonce[12];        // random per ticket (RFC 5077: iv[16])
 *       opaque sealed_state[];   // AES-256-GCM(session.toDER()), AAD = key_name,
 *   } ticket;                    //   ending in the 16-byte tag (RFC 5077: mac[32])
 *
 * The plaintext is OpenSSL's i2d_SSL_SESSION layout (`Session.toDER()`), so everything a
 * resumption needs, sid_ctx included, rides in the ticket and goes through the same
 * resumption decision as a session from the cache.
 *
 * Why an AEAD and not what node:tls does (AES-128-CBC with a separate HMAC-SHA256): one
 * primitive gives confidentiality and integrity together, there is no padding to check and
 * therefore no padding oracle, no MAC to compare by hand in constant time, and no order
 * of operations (MAC-then-decrypt vs decrypt-then-MAC) to get wrong. AES-256-GCM is the
 * AEAD the record layer already uses, through the same CryptoProvider. RFC 5077 §4 itself
 * says the recommended format is only a recommendation: a ticket is opaque to the client.
 *
 * Tickets are NOT interchangeable with node:tls's even under the same 48 configured bytes:
 * node splits them into name(16) | HMAC key(16) | AES-128 key(16) and encrypts with
 * AES-128-CBC (a 16-byte IV, a 32-byte HMAC at the end), while we feed the 32 secret bytes
 * through HKDF into one AES-256-GCM key. A node:tls ticket offered to puretls (or the
 * reverse) fails to open and costs a full handshake, never a wrong session. A fleet that
 * mixes node:tls and puretls servers can still share sessions through an external session
 * cache (the DER layout is OpenSSL's), but not through tickets.
 */

/** node:tls's `ticketKeys` format: 16-byte key name, then 32 bytes of secret. */
export const TICKET_KEYS_LENGTH = 48;
export const TICKET_KEY_NAME_LENGTH = 16;
export const TICKET_NONCE_LENGTH = 12;
export const TICKET_TAG_LENGTH = 16;
/** Bytes a ticket adds around the sealed session: key name, nonce and tag. */
export const TICKET_OVERHEAD = TICKET_KEY_NAME_LENGTH + TICKET_NONCE_LENGTH + TICKET_TAG_LENGTH;
/**
 * The longest ticket TLS can carry: both the SessionTicket extension (RFC 5077 §3.2,
 * extension_data<0..2^16-1>) and NewSessionTicket (§3.3, ticket<0..2^16-1>) have a 16-bit
 * length. Anything longer did not come from us, so `open` rejects it before any crypto.
 */
export const TICKET_MAX_LENGTH = 0xffff;

/**
 * HKDF `info` for the ticket AEAD key: names the protocol, the purpose and the algorithm,
 * so the secret bytes can never yield a key that is valid for anything else.
 */
export const TICKET_KEY_INFO = 'puretls tls1.2 session ticket v1 aes-256-gcm key';
const TICKET_KEY_INFO_BYTES = new TextEncoder().encode(TICKET_KEY_INFO);
/**
 * HKDF `info` prefix for the per-context ticket key of a shared key (a TicketKeySource): the
 * info goes on with the sid_ctx's length (one byte) and bytes, so each session id context
 * seals under its own AEAD key and a ticket of one context does not even open in another.
 */
export const TICKET_CONTEXT_KEY_INFO = 'puretls tls1.2 session ticket v1 aes-256-gcm key for sid_ctx';
const TICKET_CONTEXT_KEY_INFO_BYTES = new TextEncoder().encode(TICKET_CONTEXT_KEY_INFO);
const AEAD_KEY_LENGTH = 32;
/**
 * Per-context AEADs kept for one shared key. Contexts are configuration (a handful per
 * server); past this many, the cache of derived keys starts again rather than grow.
 */
export const MAX_CONTEXT_KEYS_PER_SHARED_KEY = 64;

/**
 * Ticket keys that live outside the keyring and are shared by a fleet of servers
 * (`RedisTicketKeys` of puretls/redis implements it). Sealing and opening a ticket happen
 * inside the handshake and stay synchronous: a source holds its keys in memory and
 * refreshes them in the background. `ticketKeys()` is called on every seal and open, so it
 * must be cheap, and it returns the same object for as long as the keys stay the same.
 *
 * Each key is 48 bytes, node:tls's layout (16-byte key name, 32 bytes of secret). The
 * keyring does not use a shared secret directly: it derives one AEAD key per session id
 * context with HKDF (info = TICKET_CONTEXT_KEY_INFO, the sid_ctx length and the sid_ctx),
 * so a ticket made under one context does not decrypt under another, whatever the keys
 * (defence in depth beside the resumption decision's sid_ctx rule).
 */
export interface TicketKeySource {
  /** The keys now: one to seal with, all that may open. Cheap, and the same object while they are the same. */
  ticketKeys(): TicketKeySet;
  /**
   * Longest a ticket lives, in seconds: a key that stops sealing keeps opening this long, so
   * the keyring caps the lifetime of the sessions it seals (and its lifetime hint) to it.
   */
  readonly ticketLifetimeSeconds: number;
}

/** A TicketKeySource's keys at one moment, each 48 bytes in node:tls's format. */
export interface TicketKeySet {
  /** The key that seals new tickets. */
  readonly current: Uint8Array;
  /** Keys that only open tickets: published ahead of their use, or retired and still in their window. */
  readonly decryptOnly: readonly Uint8Array[];
}

/** Whether `value` is a TicketKeySource (rather than node:tls's 48 bytes). */
export function isTicketKeySource(value: unknown): value is TicketKeySource {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Uint8Array) &&
    typeof (value as { ticketKeys?: unknown }).ticketKeys === 'function' &&
    typeof (value as { ticketLifetimeSeconds?: unknown }).ticketLifetimeSeconds === 'number'
  );
}

/** Options of a TicketKeyring: fixed keys, keys from a source, or random keys that rotate. */
export interface TicketKeyringOptions {
  /** Randomness (generated keys, nonces), HMAC (for HKDF) and the AEAD. */
  crypto: CryptoProvider;
  /** Clock in milliseconds; injectable for tests. */
  now: () => number;
  /**
   * Ticket lifetime in seconds, normally the session timeout (it is also the value for
   * NewSessionTicket's ticket_lifetime_hint). A key that stops being current keeps
   * decrypting this long, so every ticket it sealed stays usable for its whole life.
   */
  lifetimeSeconds: number;
  /**
   * 48 bytes in node:tls `ticketKeys` format. When given, keys never rotate by themselves:
   * processes that share keys must agree on them, so only the application changes them
   * (`setTicketKeys`). `rotationSeconds` is then ignored.
   */
  keys?: Uint8Array;
  /** Rotation period for internally generated keys; default `lifetimeSeconds`. */
  rotationSeconds?: number;
  /**
   * Keys shared by a fleet (see TicketKeySource); excludes `keys`. The source rotates them;
   * `setTicketKeys` is refused. Tickets are sealed under a per-context key derived from the
   * shared one, and live at most the source's `ticketLifetimeSeconds`.
   */
  source?: TicketKeySource;
}

export interface OpenedTicket {
  session: Session;
  /**
   * The ticket was sealed under a key that is no longer current (or is due to be rotated):
   * the server should send a fresh ticket under the current key (RFC 5077 §3.3 lets it
   * issue a NewSessionTicket on an abbreviated handshake).
   */
  renew: boolean;
}

interface TicketKey {
  /** The 48 bytes as configured or generated (for getTicketKeys). */
  readonly material: Uint8Array;
  readonly name: Uint8Array;
  readonly aead: Aead;
  /** ms timestamp at which it stopped being current; undefined while current. */
  retiredAt: number | undefined;
}

/** A key of a TicketKeySource, with the AEADs derived from it per session id context. */
interface SharedTicketKey {
  readonly material: Uint8Array;
  readonly name: Uint8Array;
  /** By sid_ctx (latin1 string of its bytes). */
  readonly aeads: Map<string, Aead>;
}

/**
 * HKDF-SHA256 (RFC 5869) built on the provider's HMAC, so ticket keys, like every other
 * secret, come from the CryptoProvider. No salt (RFC 5869 §2.2: HashLen zero bytes); the
 * input is 32 bytes that are random already, extraction only has to condense them.
 */
export function hkdfSha256(crypto: CryptoProvider, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > 255 * 32) throw new RangeError(`HKDF-SHA256 cannot make ${length} bytes`);
  const extract = crypto.hmac('sha256', salt.length === 0 ? new Uint8Array(32) : salt);
  const prk = extract.mac(ikm);
  extract.dispose?.();
  const expand = crypto.hmac('sha256', prk);
  prk.fill(0);
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  for (let at = 0, i = 1; at < length; i++) {
    const previous = t;
    t = expand.mac(previous, info, Uint8Array.of(i));
    previous.fill(0);
    const n = Math.min(t.length, length - at);
    out.set(t.subarray(0, n), at);
    at += n;
  }
  t.fill(0);
  expand.dispose?.();
  return out;
}

function makeKey(crypto: CryptoProvider, keys: Uint8Array): TicketKey {
  const material = Uint8Array.from(keys);
  const aeadKey = hkdfSha256(crypto, material.subarray(TICKET_KEY_NAME_LENGTH), new Uint8Array(0), TICKET_KEY_INFO_BYTES, AEAD_KEY_LENGTH);
  const aead = crypto.aead('aes-256-gcm', aeadKey);
  aeadKey.fill(0); // the AEAD keeps its own key schedule
  return { material, name: material.subarray(0, TICKET_KEY_NAME_LENGTH), aead, retiredAt: undefined };
}

/** A key that can no longer open anything: its secret bytes and the AEAD's key schedule are wiped. */
function wipeKey(key: TicketKey): void {
  key.material.fill(0);
  key.aead.dispose?.();
}

/** Drops the AEADs derived from a shared key, wiping their key schedules. */
function disposeContextAeads(key: SharedTicketKey): void {
  for (const aead of key.aeads.values()) aead.dispose?.();
  key.aeads.clear();
}

/** A shared key that left the source's set: its bytes and every AEAD derived from it are wiped. */
function wipeSharedKey(key: SharedTicketKey): void {
  key.material.fill(0);
  disposeContextAeads(key);
}

/**
 * Key names are public (every ticket carries one in the clear), so looking them up with an
 * ordinary Map keyed by their hex form leaks nothing secret; the secret part is only ever
 * used inside HKDF and the AEAD, whose tag check is the AEAD's own.
 */
function sharedKey(material: Uint8Array): SharedTicketKey {
  const copy = Uint8Array.from(material);
  return { material: copy, name: copy.subarray(0, TICKET_KEY_NAME_LENGTH), aeads: new Map() };
}

/**
 * A key name as a Map key: its 16 bytes as one latin1 string. Not hex: that was a string
 * and a padded copy per byte, on every ticket opened.
 */
function nameKey(name: Uint8Array): string {
  return latin1String(name);
}

function checkKeys(keys: unknown): asserts keys is Uint8Array {
  if (!(keys instanceof Uint8Array) || keys.length !== TICKET_KEYS_LENGTH) {
    const got = keys instanceof Uint8Array ? `${keys.length} bytes` : typeof keys;
    throw new TlsConfigError('ERR_INVALID_TICKET_KEYS', `session ticket keys must be ${TICKET_KEYS_LENGTH} bytes (got ${got})`);
  }
}

function checkSeconds(value: unknown, what: string, allowZero: boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new TlsConfigError('ERR_INVALID_ARG_VALUE', `${what} must be a ${allowZero ? 'non-negative' : 'positive'} number of seconds (got ${String(value)})`);
  }
  return value;
}

/**
 * The server's ticket keys: one current key that seals, and retired keys that still open
 * tickets for `lifetimeSeconds` after they stopped being current.
 *
 * - Generated keys (no `keys` option) rotate lazily: the first `seal` (or `getTicketKeys`)
 *   after the current key has been current for `rotationSeconds` makes a new one. No
 *   timers, so an idle server holds no event-loop handle.
 * - Application keys (`keys` option or `setTicketKeys`) never rotate by themselves. After
 *   `setTicketKeys`, the former current key keeps opening tickets for `lifetimeSeconds`, so
 *   a fleet can roll keys host by host without failing resumptions in between.
 */
export class TicketKeyring {
  private readonly crypto: CryptoProvider;
  private readonly now: () => number;
  private readonly lifetimeMs: number;
  private readonly rotationMs: number;
  /** Every key that can open tickets, current included, by key name (nameKey). */
  private readonly keys = new Map<string, TicketKey>();
  private current: TicketKey;
  /** ms timestamp at which `current` became current. */
  private currentSince: number;
  /** False once the application supplied keys. */
  private autoRotate: boolean;
  /** Keys shared by a fleet, when they come from a TicketKeySource. */
  private readonly source: TicketKeySource | undefined;
  /** The source's key set these shared keys were built from (the source keeps it while unchanged). */
  private sourceSet: TicketKeySet | undefined;
  private sharedKeys = new Map<string, SharedTicketKey>();
  private sharedCurrent: SharedTicketKey | undefined;

  /** Ticket lifetime in seconds (for NewSessionTicket's ticket_lifetime_hint). */
  readonly lifetimeSeconds: number;

  constructor(options: TicketKeyringOptions) {
    this.crypto = options.crypto;
    this.now = options.now;
    checkSeconds(options.lifetimeSeconds, 'lifetimeSeconds', true);
    if (options.source !== undefined) {
      if (!isTicketKeySource(options.source)) throw new TlsConfigError('ERR_INVALID_ARG_VALUE', 'source must be a TicketKeySource');
      if (options.keys !== undefined) throw new TlsConfigError('ERR_INVALID_ARG', 'give keys or a key source, not both');
      const shared = checkSeconds(options.source.ticketLifetimeSeconds, 'ticketLifetimeSeconds', false);
      this.source = options.source;
      // A ticket must not outlive the key that sealed it: the source drops a retired key
      // one ticket lifetime after it stopped sealing.
      this.lifetimeSeconds = Math.min(options.lifetimeSeconds, shared);
    } else {
      this.lifetimeSeconds = options.lifetimeSeconds;
    }
    this.lifetimeMs = this.lifetimeSeconds * 1000;
    const rotationSeconds =
      options.rotationSeconds === undefined ? this.lifetimeSeconds : checkSeconds(options.rotationSeconds, 'rotationSeconds', false);
    this.rotationMs = rotationSeconds * 1000;
    if (options.keys !== undefined) checkKeys(options.keys);
    // With a source, the local key below is never used: the source's keys seal and open.
    this.autoRotate = options.keys === undefined && this.source === undefined;
    this.current = this.install(options.keys ?? this.generate());
    this.currentSince = this.now();
  }

  /** Whether the keys come from a TicketKeySource shared by a fleet. */
  get shared(): boolean {
    return this.source !== undefined;
  }

  /**
   * The current ticket key in node:tls `ticketKeys` format (a copy). With a key source, the
   * current shared key (tickets are sealed under keys derived from it per sid_ctx).
   */
  getTicketKeys(): Uint8Array {
    if (this.source) return Uint8Array.from(this.refreshShared().material);
    this.maintain(this.now());
    return Uint8Array.from(this.current.material);
  }

  /**
   * Makes `keys` (48 bytes, node:tls format) the current key and stops automatic rotation.
   * The former current key keeps opening tickets for `lifetimeSeconds`. Setting the keys
   * that are already current changes nothing. Key names identify keys, so a new key whose
   * name is already in the ring replaces the old key of that name (its tickets stop
   * opening). Throws TlsConfigError('ERR_INVALID_TICKET_KEYS') on a wrong length; the old
   * keys then stay as they were.
   */
  setTicketKeys(keys: Uint8Array): void {
    if (this.source) {
      throw new TlsConfigError('ERR_TICKET_KEYS_SHARED', 'the ticket keys come from a shared key source, which rotates them; setTicketKeys cannot change them');
    }
    checkKeys(keys);
    const now = this.now();
    this.autoRotate = false;
    // Secret bytes, so no early exit (the application's own, but no reason to leak them).
    if (constantTimeEqual(keys, this.current.material)) {
      this.maintain(now);
      return;
    }
    this.retireCurrent(now);
    this.current = this.install(keys);
    this.currentSince = now;
    this.maintain(now);
  }

  /**
   * Seals a session into a ticket under the current key (rotating first if it is due).
   * Throws RangeError if the session cannot be encoded or is too large for a ticket
   * (> TICKET_MAX_LENGTH, e.g. a huge client certificate); the handshake should then send
   * a zero-length NewSessionTicket, as RFC 5077 §3.3 allows.
   */
  seal(session: Session): Uint8Array {
    if (this.source) {
      const key = this.refreshShared();
      // The key that seals it opens it for one ticket lifetime after it stops sealing, so a
      // session sealed now must not claim to live longer.
      const bounded = session.timeout > this.lifetimeSeconds ? session.with({ timeout: this.lifetimeSeconds }) : session;
      return this.sealUnder(key.name, this.contextAead(key, session.sidCtx), bounded);
    }
    this.maintain(this.now());
    return this.sealUnder(this.current.name, this.current.aead, session);
  }

  private sealUnder(name: Uint8Array, aead: Aead, session: Session): Uint8Array {
    const plaintext = session.toDER();
    if (plaintext.length + TICKET_OVERHEAD > TICKET_MAX_LENGTH) {
      throw new RangeError(`session of ${plaintext.length} bytes is too large for a ticket (at most ${TICKET_MAX_LENGTH - TICKET_OVERHEAD})`);
    }
    // Random 96-bit nonces: keys rotate (or, for application keys, the application rolls
    // them) long before the ~2^32 tickets per key at which random GCM nonces get risky.
    const nonce = this.crypto.randomBytes(TICKET_NONCE_LENGTH);
    if (nonce.length !== TICKET_NONCE_LENGTH) throw new RangeError('crypto provider returned the wrong number of random bytes');
    const sealed = aead.seal(nonce, name, plaintext);
    plaintext.fill(0); // the session's DER holds its master secret
    const ticket = new Uint8Array(TICKET_KEY_NAME_LENGTH + TICKET_NONCE_LENGTH + sealed.length);
    ticket.set(name, 0);
    ticket.set(nonce, TICKET_KEY_NAME_LENGTH);
    ticket.set(sealed, TICKET_KEY_NAME_LENGTH + TICKET_NONCE_LENGTH);
    return ticket;
  }

  /**
   * Opens a ticket the client offered. Returns undefined for anything that is not a valid
   * ticket of ours (wrong size, unknown or expired key name, tag mismatch, undecodable
   * session inside): the caller then does a full handshake. Never throws. Does not judge
   * the session itself (expiry, sid_ctx, ...): that is the resumption decision's job.
   *
   * `sidCtx` is the serving connection's session id context. Keys from a TicketKeySource
   * open a ticket only under the context it was sealed for (its per-context key); other
   * keys ignore it.
   */
  open(ticket: Uint8Array, sidCtx: Uint8Array = new Uint8Array(0)): OpenedTicket | undefined {
    if (!(ticket instanceof Uint8Array)) return undefined;
    // The smallest session DER is well over one byte; this only bounds the slicing below.
    if (ticket.length <= TICKET_OVERHEAD || ticket.length > TICKET_MAX_LENGTH) return undefined;
    const name = ticket.subarray(0, TICKET_KEY_NAME_LENGTH);
    let aead: Aead;
    let renew: boolean;
    if (this.source) {
      let current: SharedTicketKey;
      try {
        current = this.refreshShared();
      } catch {
        return undefined; // a source that fails is no key at all, not the client's problem
      }
      const key = this.sharedKeys.get(nameKey(name));
      if (key === undefined) return undefined;
      aead = this.contextAead(key, sidCtx);
      renew = key !== current;
    } else {
      const now = this.now();
      this.prune(now);
      const key = this.keys.get(nameKey(name));
      if (key === undefined) return undefined;
      aead = key.aead;
      // open() does not rotate (it consumes no randomness); a current key that is due for
      // rotation is treated as old already, so the client gets a ticket the next seal() will
      // make under the new key.
      renew = key !== this.current || this.rotationDue(now);
    }
    const nonce = ticket.subarray(TICKET_KEY_NAME_LENGTH, TICKET_KEY_NAME_LENGTH + TICKET_NONCE_LENGTH);
    const plaintext = aead.open(nonce, name, ticket.subarray(TICKET_KEY_NAME_LENGTH + TICKET_NONCE_LENGTH));
    if (plaintext === null) return undefined;
    let session: Session;
    try {
      session = Session.fromDER(plaintext); // copies what it keeps
    } catch {
      // Only we can make a valid tag, so this is our own bug or a compromised key; either
      // way it is not a session to resume.
      return undefined;
    } finally {
      plaintext.fill(0);
    }
    return { session, renew };
  }

  /**
   * The source's keys as they stand now, and the current one. Keys that left the source's
   * set (dropped, or back under the same name with other bytes) are wiped: our copy of the
   * 48 bytes and every AEAD derived from them. Throws TlsConfigError if the source hands
   * over something that is not a key.
   */
  private refreshShared(): SharedTicketKey {
    const set = this.source!.ticketKeys();
    if (set === this.sourceSet && this.sharedCurrent) return this.sharedCurrent;
    const next = new Map<string, SharedTicketKey>();
    const take = (material: Uint8Array): SharedTicketKey => {
      checkKeys(material);
      const id = nameKey(material.subarray(0, TICKET_KEY_NAME_LENGTH));
      let key = next.get(id);
      if (key) return key;
      const held = this.sharedKeys.get(id);
      // Names identify keys; one that comes back under the same name with other bytes is another key.
      key = held && constantTimeEqual(held.material, material) ? held : sharedKey(material);
      next.set(id, key);
      return key;
    };
    const current = take(set.current);
    for (const material of set.decryptOnly) take(material);
    for (const [id, key] of this.sharedKeys) if (next.get(id) !== key) wipeSharedKey(key);
    this.sharedKeys = next;
    this.sharedCurrent = current;
    this.sourceSet = set;
    return current;
  }

  /** The AEAD of a shared key for one session id context (HKDF; see TICKET_CONTEXT_KEY_INFO). */
  private contextAead(key: SharedTicketKey, sidCtx: Uint8Array): Aead {
    const id = String.fromCharCode.apply(null, sidCtx as unknown as number[]);
    let aead = key.aeads.get(id);
    if (aead === undefined) {
      if (key.aeads.size >= MAX_CONTEXT_KEYS_PER_SHARED_KEY) disposeContextAeads(key);
      const info = new Uint8Array(TICKET_CONTEXT_KEY_INFO_BYTES.length + 1 + sidCtx.length);
      info.set(TICKET_CONTEXT_KEY_INFO_BYTES, 0);
      info[TICKET_CONTEXT_KEY_INFO_BYTES.length] = sidCtx.length;
      info.set(sidCtx, TICKET_CONTEXT_KEY_INFO_BYTES.length + 1);
      const aeadKey = hkdfSha256(this.crypto, key.material.subarray(TICKET_KEY_NAME_LENGTH), new Uint8Array(0), info, AEAD_KEY_LENGTH);
      aead = this.crypto.aead('aes-256-gcm', aeadKey);
      aeadKey.fill(0);
      key.aeads.set(id, aead);
    }
    return aead;
  }

  private generate(): Uint8Array {
    const keys = this.crypto.randomBytes(TICKET_KEYS_LENGTH);
    checkKeys(keys);
    return keys;
  }

  private install(keys: Uint8Array): TicketKey {
    const key = makeKey(this.crypto, keys);
    const id = nameKey(key.name);
    // A key name already in the ring: the new key replaces the old one of that name (the
    // callers make the new key current right after, so the old object is unreachable).
    const replaced = this.keys.get(id);
    if (replaced) wipeKey(replaced);
    this.keys.set(id, key);
    return key;
  }

  private retireCurrent(now: number): void {
    this.current.retiredAt = now;
  }

  private rotationDue(now: number): boolean {
    return this.autoRotate && now - this.currentSince >= this.rotationMs;
  }

  private maintain(now: number): void {
    if (this.rotationDue(now)) {
      // One new key however many periods passed: nothing was sealed in between.
      this.retireCurrent(now);
      this.current = this.install(this.generate());
      this.currentSince = now;
    }
    this.prune(now);
  }

  /** Drops retired keys more than lifetimeSeconds past retirement (same `>` as session expiry). */
  private prune(now: number): void {
    for (const [id, key] of this.keys) {
      if (key.retiredAt !== undefined && now > key.retiredAt + this.lifetimeMs) {
        this.keys.delete(id);
        wipeKey(key);
      }
    }
  }
}
