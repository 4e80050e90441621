import { HandshakeType } from '../../codec/enums.js';
import { AlertDescription, TlsError } from '../../errors.js';
import { VERIFY_DATA_LENGTH } from '../key-schedule.js';

export function encodeFinished(verifyData: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + verifyData.length);
  out[0] = HandshakeType.finished;
  out[3] = verifyData.length;
  out.set(verifyData, 4);
  return out;
}

export function decodeFinished(body: Uint8Array): Uint8Array {
  if (body.length !== VERIFY_DATA_LENGTH) {
    throw new TlsError(AlertDescription.decode_error, `Finished of ${body.length} bytes, expected ${VERIFY_DATA_LENGTH}`);
  }
  return body;
}
