export {
  loadAnyPrivateKey,
  loadPrivateKey,
  privateKeyToPem,
  rsaSignatureSchemes,
  type EcCurveName,
  type EcPrivateKey,
  type EddsaPrivateKey,
  type PrivateKey,
  type RsaPrivateKey,
  type RsaPssParameters,
} from './keys.js';
export {
  decodeCertificateExtensions,
  keyMatchesCertificate,
  loadCertificateChain,
  parseCertificate,
  type CertificateExtension,
  type CertificateExtensions,
  type CertificateInfo,
  type GeneralName,
  type GeneralSubtree,
} from './certificate.js';
export { createSelfSignedCertificate, type SelfSignedOptions } from './self-signed.js';
export {
  X509_V_ERR,
  X509_V_OK,
  loadTrustStore,
  nodeAuthorizationError,
  verifyClientChain,
  x509ErrorName,
  type ChainVerification,
  type TrustStore,
  type VerifyOptions,
  type X509VerifyError,
} from './verify.js';
