/** TLS alert descriptions (RFC 5246 §7.2, RFC 7301, RFC 5746 and friends). */
export enum AlertDescription {
  close_notify = 0,
  unexpected_message = 10,
  bad_record_mac = 20,
  record_overflow = 22,
  decompression_failure = 30,
  handshake_failure = 40,
  bad_certificate = 42,
  unsupported_certificate = 43,
  certificate_revoked = 44,
  certificate_expired = 45,
  certificate_unknown = 46,
  illegal_parameter = 47,
  unknown_ca = 48,
  access_denied = 49,
  decode_error = 50,
  decrypt_error = 51,
  protocol_version = 70,
  insufficient_security = 71,
  internal_error = 80,
  inappropriate_fallback = 86,
  user_canceled = 90,
  no_renegotiation = 100,
  unsupported_extension = 110,
  unrecognized_name = 112,
  no_application_protocol = 120,
}

export enum AlertLevel {
  warning = 1,
  fatal = 2,
}

export function alertName(description: number): string {
  return AlertDescription[description] ?? `unknown(${description})`;
}

/**
 * A fatal protocol error: the alert we send (or received) and why.
 * Errors are sticky: once a connection has one, it is closed for good.
 */
export class TlsError extends Error {
  override readonly name = 'TlsError';
  /** OpenSSL-style reason code, e.g. 'SESSION_ID_CONTEXT_UNINITIALIZED', or a short tag. */
  readonly code: string;
  /** True when the peer sent us this alert; false when we raise it. */
  readonly fromPeer: boolean;

  constructor(
    readonly alert: AlertDescription,
    message: string,
    options: { code?: string; fromPeer?: boolean } = {},
  ) {
    super(message);
    this.code = options.code ?? `ERR_TLS_ALERT_${alertName(alert).toUpperCase()}`;
    this.fromPeer = options.fromPeer ?? false;
  }
}

/** Shorthand used throughout the handshake and record code: raise a fatal alert. */
export function fatal(alert: AlertDescription, message: string, code?: string): TlsError {
  return new TlsError(alert, message, code === undefined ? {} : { code });
}

/** A configuration mistake made by the application (never by the peer). */
export class TlsConfigError extends Error {
  override readonly name = 'TlsConfigError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Malformed serialised data handed to us by the application (a session, a key, a PEM file). */
export class TlsDecodeError extends Error {
  override readonly name = 'TlsDecodeError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
