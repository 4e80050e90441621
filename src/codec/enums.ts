/**
 * Wire code points. Values are plain numbers on the wire and in parsed messages, so unknown
 * suites, groups and extensions (GREASE included) are carried rather than rejected; these
 * enums only name the ones we act on.
 */

export enum ContentType {
  change_cipher_spec = 20,
  alert = 21,
  handshake = 22,
  application_data = 23,
}

export enum HandshakeType {
  hello_request = 0,
  client_hello = 1,
  server_hello = 2,
  new_session_ticket = 4,
  certificate = 11,
  server_key_exchange = 12,
  certificate_request = 13,
  server_hello_done = 14,
  certificate_verify = 15,
  client_key_exchange = 16,
  finished = 20,
}

export enum ExtensionType {
  server_name = 0,
  status_request = 5,
  supported_groups = 10,
  ec_point_formats = 11,
  signature_algorithms = 13,
  application_layer_protocol_negotiation = 16,
  signed_certificate_timestamp = 18,
  padding = 21,
  encrypt_then_mac = 22,
  extended_master_secret = 23,
  session_ticket = 35,
  supported_versions = 43,
  renegotiation_info = 0xff01,
}

export enum NamedGroup {
  secp256r1 = 23,
  secp384r1 = 24,
  x25519 = 29,
}

export enum SignatureScheme {
  ecdsa_secp256r1_sha256 = 0x0403,
  ecdsa_secp384r1_sha384 = 0x0503,
  ecdsa_secp521r1_sha512 = 0x0603,
  /** RFC 5246's ecdsa+sha224 (kept by RFC 8446 as a legacy code point, still valid in TLS 1.2). */
  ecdsa_sha224 = 0x0303,
  /** Never used to sign nor accepted (RFC 9155). */
  ecdsa_sha1 = 0x0203,
  rsa_pkcs1_sha256 = 0x0401,
  rsa_pkcs1_sha384 = 0x0501,
  rsa_pkcs1_sha512 = 0x0601,
  /** Never used to sign nor accepted (RFC 9155). */
  rsa_pkcs1_sha1 = 0x0201,
  /** RSASSA-PSS with an rsaEncryption key (RFC 8446 §4.2.3, usable in TLS 1.2). */
  rsa_pss_rsae_sha256 = 0x0804,
  rsa_pss_rsae_sha384 = 0x0805,
  rsa_pss_rsae_sha512 = 0x0806,
  /** PureEdDSA (RFC 8422 §5.1.3). */
  ed25519 = 0x0807,
  ed448 = 0x0808,
  /** RSASSA-PSS with an id-RSASSA-PSS key. */
  rsa_pss_pss_sha256 = 0x0809,
  rsa_pss_pss_sha384 = 0x080a,
  rsa_pss_pss_sha512 = 0x080b,
}

export enum CipherSuiteId {
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xc02b,
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xc02c,
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca9,
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xc02f,
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xc030,
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xcca8,
  /** RFC 5746 signalling value, never negotiated. */
  TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00ff,
  /** RFC 7507 signalling value. */
  TLS_FALLBACK_SCSV = 0x5600,
}

export const ProtocolVersion = {
  TLSv1_0: 0x0301,
  TLSv1_1: 0x0302,
  TLSv1_2: 0x0303,
  TLSv1_3: 0x0304,
} as const;

export function protocolName(version: number): string {
  switch (version) {
    case 0x0300:
      return 'SSLv3';
    case 0x0301:
      return 'TLSv1';
    case 0x0302:
      return 'TLSv1.1';
    case 0x0303:
      return 'TLSv1.2';
    case 0x0304:
      return 'TLSv1.3';
    default:
      return `unknown(0x${version.toString(16).padStart(4, '0')})`;
  }
}
