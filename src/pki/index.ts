export { loadPrivateKey, privateKeyToPem, type EcCurveName, type EcPrivateKey } from './keys.js';
export { keyMatchesCertificate, loadCertificateChain, parseCertificate, type CertificateInfo } from './certificate.js';
export { createSelfSignedCertificate, type SelfSignedOptions } from './self-signed.js';
