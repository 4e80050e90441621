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

/** TLS alert levels (RFC 5246 §7.2). */
export enum AlertLevel {
  warning = 1,
  fatal = 2,
}

/** The alert's RFC name ('handshake_failure'), or 'unknown(n)'. */
export function alertName(description: number): string {
  return AlertDescription[description] ?? `unknown(${description})`;
}

/**
 * Where node:tls has a name for a failure, our errors carry it as `code`, so code written
 * for node:tls (`err.code === 'ERR_SSL_NO_SHARED_CIPHER'`) works unchanged; our own, more
 * precise reason stays in `reason`. node builds most of its TLS codes from OpenSSL's
 * reason ('ERR_SSL_' + SSL_R_* name), so this table speaks OpenSSL's names. Each row is
 * checked against node:tls on the same bad input (test/node/error-codes.test.ts).
 */
const NODE_CODES: Readonly<Record<string, string>> = {
  // Records (OpenSSL's ssl3_get_record, ssl3_read_bytes)
  ERR_HTTP_REQUEST: 'ERR_SSL_HTTP_REQUEST',
  ERR_HTTPS_PROXY_REQUEST: 'ERR_SSL_HTTPS_PROXY_REQUEST',
  ERR_WRONG_VERSION_NUMBER: 'ERR_SSL_WRONG_VERSION_NUMBER',
  ERR_UNKNOWN_RECORD_TYPE: 'ERR_SSL_UNEXPECTED_MESSAGE',
  ERR_DATA_LENGTH_TOO_LONG: 'ERR_SSL_DATA_LENGTH_TOO_LONG',
  ERR_ENCRYPTED_LENGTH_TOO_LONG: 'ERR_SSL_ENCRYPTED_LENGTH_TOO_LONG',
  ERR_BAD_RECORD_MAC: 'ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC',
  // OpenSSL 3's AES-GCM reports a tag that does not verify from its cipher provider (node 20 shows this code).
  ERR_AES_GCM_TAG_MISMATCH: 'ERR_SSL_CIPHER_OPERATION_FAILED',
  ERR_RECORD_TOO_SMALL: 'ERR_SSL_RECORD_TOO_SMALL',
  ERR_BAD_CHANGE_CIPHER_SPEC: 'ERR_SSL_BAD_CHANGE_CIPHER_SPEC',
  ERR_UNKNOWN_ALERT_TYPE: 'ERR_SSL_UNKNOWN_ALERT_TYPE',
  ERR_TOO_MANY_WARN_ALERTS: 'ERR_SSL_TOO_MANY_WARN_ALERTS',
  ERR_EXCESSIVE_MESSAGE_SIZE: 'ERR_SSL_EXCESSIVE_MESSAGE_SIZE',
  // The peer's close_notify (or its FIN) before the handshake finished: node's "socket hang up".
  ERR_CLOSED_DURING_HANDSHAKE: 'ECONNRESET',
  // ClientHello (tls_early_post_process_client_hello, tls_post_process_client_hello)
  ERR_SSLV2_CLIENT_HELLO: 'ERR_SSL_UNSUPPORTED_PROTOCOL',
  ERR_UNSUPPORTED_PROTOCOL: 'ERR_SSL_UNSUPPORTED_PROTOCOL',
  ERR_NO_SHARED_CIPHER: 'ERR_SSL_NO_SHARED_CIPHER',
  // OpenSSL finds no suite it can use: the same answer when the certificate's curve or every group is missing.
  ERR_NO_SHARED_GROUP: 'ERR_SSL_NO_SHARED_CIPHER',
  ERR_NO_COMPRESSION_SPECIFIED: 'ERR_SSL_NO_COMPRESSION_SPECIFIED',
  ERR_DUPLICATE_EXTENSION: 'ERR_SSL_BAD_EXTENSION',
  ERR_LENGTH_MISMATCH: 'ERR_SSL_LENGTH_MISMATCH',
  ERR_NO_APPLICATION_PROTOCOL: 'ERR_SSL_NO_APPLICATION_PROTOCOL',
  // OpenSSL cannot use its certificate with any signature algorithm offered: no suite for it.
  ERR_NO_SHARED_SIGALG: 'ERR_SSL_NO_SHARED_CIPHER',
  SESSION_ID_CONTEXT_UNINITIALIZED: 'ERR_SSL_SESSION_ID_CONTEXT_UNINITIALIZED',
  INCONSISTENT_EXTMS: 'ERR_SSL_INCONSISTENT_EXTMS',
  // The client's flight
  ERR_BAD_FINISHED: 'ERR_SSL_DIGEST_CHECK_FAILED',
  ERR_BAD_SIGNATURE: 'ERR_SSL_BAD_SIGNATURE',
  ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE: 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE',
  // Configuration: node's argument codes, OpenSSL's where node passes them on.
  ERR_INVALID_ARG: 'ERR_INVALID_ARG_VALUE',
  ERR_INVALID_TICKET_KEYS: 'ERR_INVALID_ARG_VALUE',
  ERR_NO_CIPHER_MATCH: 'ERR_SSL_NO_CIPHER_MATCH',
  ERR_INVALID_GROUP: 'ERR_CRYPTO_OPERATION_FAILED',
  SSL_SESSION_ID_CONTEXT_TOO_LONG: 'ERR_SSL_SSL_SESSION_ID_CONTEXT_TOO_LONG',
  ERR_ILLEGAL_EXPORTER_LABEL: 'ERR_SSL_TLS_ILLEGAL_EXPORTER_LABEL',
  // OpenSSL's tls1_export_keying_material fails with an internal error on a context over 65535 bytes.
  ERR_EXPORTER_CONTEXT_TOO_LONG: 'ERR_SSL_INTERNAL_ERROR',
  // Ours, named in the same scheme.
  RSA_SIGNATURE_FAULT: 'ERR_RSA_SIGNATURE_FAULT',
  RSA_BLINDING: 'ERR_RSA_BLINDING',
};

/** What node:tls says for an alert we send that carries no more precise reason. */
const SENT_ALERT_CODES: Partial<Record<AlertDescription, string>> = {
  [AlertDescription.unexpected_message]: 'ERR_SSL_UNEXPECTED_MESSAGE',
  [AlertDescription.no_application_protocol]: 'ERR_SSL_NO_APPLICATION_PROTOCOL',
};

/**
 * OpenSSL's reason for an alert it received (SSL_AD_REASON_OFFSET + description, named in
 * ssl_err.c): SSLv3's alerts are "sslv3 alert ...", later ones "tlsv1 alert ...", and a few
 * "tlsv1 ..." without "alert". node's code is 'ERR_SSL_' + that name.
 */
const SSLV3_ALERTS = new Set<number>([
  AlertDescription.close_notify,
  AlertDescription.unexpected_message,
  AlertDescription.bad_record_mac,
  AlertDescription.decompression_failure,
  AlertDescription.handshake_failure,
  41, // no_certificate
  AlertDescription.bad_certificate,
  AlertDescription.unsupported_certificate,
  AlertDescription.certificate_revoked,
  AlertDescription.certificate_expired,
  AlertDescription.certificate_unknown,
  AlertDescription.illegal_parameter,
]);
const TLSV1_WITHOUT_ALERT = new Set<number>([
  AlertDescription.unsupported_extension,
  111, // certificate_unobtainable
  AlertDescription.unrecognized_name,
  113, // bad_certificate_status_response
  114, // bad_certificate_hash_value
]);

/** node's code for a fatal alert the peer sent, e.g. ERR_SSL_TLSV1_ALERT_UNKNOWN_CA. */
export function receivedAlertCode(description: number): string {
  const name = AlertDescription[description];
  if (name === undefined) return `ERR_TLS_ALERT_UNKNOWN_${description}`;
  const words = name === 'user_canceled' ? 'USER_CANCELLED' : name.toUpperCase(); // OpenSSL spells it so
  if (SSLV3_ALERTS.has(description)) return `ERR_SSL_SSLV3_ALERT_${words}`;
  if (TLSV1_WITHOUT_ALERT.has(description)) return `ERR_SSL_TLSV1_${words}`;
  return `ERR_SSL_TLSV1_ALERT_${words}`;
}

/** Our reason for an alert with no more precise one: ERR_TLS_ALERT_<NAME>. */
function alertReason(description: number): string {
  const name = AlertDescription[description];
  return `ERR_TLS_ALERT_${name === undefined ? `UNKNOWN_${description}` : name.toUpperCase()}`;
}

/**
 * Alerts for a client certificate that did not verify (ssl_x509err2alert's answers): a
 * reason that is an X509_V_ERR name (CERT_HAS_EXPIRED, ...) with one of them is OpenSSL's
 * SSL_R_CERTIFICATE_VERIFY_FAILED.
 */
const CERTIFICATE_ALERTS = new Set<number>([
  AlertDescription.bad_certificate,
  AlertDescription.unsupported_certificate,
  AlertDescription.certificate_revoked,
  AlertDescription.certificate_expired,
  AlertDescription.certificate_unknown,
  AlertDescription.unknown_ca,
  AlertDescription.decrypt_error,
  AlertDescription.internal_error,
]);

/**
 * The `code` for a reason: node's where it has one, else ours. Every code is `ERR_` and
 * upper-case words (or node's ECONNRESET); our own never reuse a node name for another meaning.
 */
export function errorCode(reason: string, alert?: AlertDescription, fromPeer = false): string {
  const mapped = NODE_CODES[reason];
  if (mapped !== undefined) return mapped;
  if (alert !== undefined) {
    if (fromPeer) return receivedAlertCode(alert);
    if (reason === alertReason(alert)) return SENT_ALERT_CODES[alert] ?? reason;
    // X509_V_ERR names (CERT_HAS_EXPIRED, CERT_CHAIN_TOO_LONG, ...): the chain did not verify.
    if (!reason.startsWith('ERR_') && CERTIFICATE_ALERTS.has(alert)) return 'ERR_SSL_CERTIFICATE_VERIFY_FAILED';
  }
  return reason.startsWith('ERR_') ? reason : `ERR_${reason}`;
}

/**
 * A fatal protocol error: the alert we send (or received) and why.
 * Errors are sticky: once a connection has one, it is closed for good.
 */
export class TlsError extends Error {
  /** 'TlsError'. */
  override readonly name = 'TlsError';
  /** node:tls's code for this failure where node has one (see errorCode), else ours. */
  readonly code: string;
  /**
   * puretls's precise reason: an OpenSSL-style name ('ERR_NO_SHARED_GROUP', an X509_V_ERR
   * name such as 'CERT_HAS_EXPIRED', 'SESSION_ID_CONTEXT_UNINITIALIZED'), or
   * 'ERR_TLS_ALERT_<ALERT>' when the alert says it all. (node's own errors carry OpenSSL's
   * reason text here; ours carry the name.)
   */
  readonly reason: string;
  /** True when the peer sent us this alert; false when we raise it. */
  readonly fromPeer: boolean;

  constructor(
    /** The alert we sent (or, with fromPeer, received). */
    readonly alert: AlertDescription,
    message: string,
    /** `reason`: see above (`code`, its former name, is accepted as the same thing). */
    options: { reason?: string; code?: string; fromPeer?: boolean } = {},
  ) {
    super(message);
    this.fromPeer = options.fromPeer ?? false;
    this.reason = options.reason ?? options.code ?? alertReason(alert);
    this.code = errorCode(this.reason, alert, this.fromPeer);
  }
}

/** Shorthand used throughout the handshake and record code: raise a fatal alert (with our reason). */
export function fatal(alert: AlertDescription, message: string, reason?: string): TlsError {
  return new TlsError(alert, message, reason === undefined ? {} : { reason });
}

/** A configuration mistake made by the application (never by the peer). */
export class TlsConfigError extends Error {
  /** 'TlsConfigError'. */
  override readonly name = 'TlsConfigError';
  /** node's code for the same mistake where node has one, else ours. */
  readonly code: string;
  /** puretls's precise reason. */
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
    this.code = errorCode(reason);
  }
}

/** Malformed serialised data handed to us by the application (a session, a key, a PEM file). */
export class TlsDecodeError extends Error {
  /** 'TlsDecodeError'. */
  override readonly name = 'TlsDecodeError';
  /** node's code where node has one, else ours. */
  readonly code: string;
  /** puretls's precise reason. */
  readonly reason: string;
  constructor(reason: string, message: string) {
    super(message);
    this.reason = reason;
    this.code = errorCode(reason);
  }
}
