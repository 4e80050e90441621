import { inspect } from 'node:util';

/**
 * node's argument checks (lib/internal/validators.js), with node's codes and messages, for
 * the methods whose arguments node:tls validates: code that catches node's errors by code
 * catches ours. `reason` repeats the code, as on every puretls error.
 */
type NodeArgError = (TypeError | RangeError) & { code: string; reason: string };

function received(value: unknown): string {
  if (value === null || value === undefined) return ` Received ${String(value)}`;
  if (typeof value === 'function') return ` Received function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') return ` Received an instance of ${value.constructor?.name ?? 'Object'}`;
  return ` Received type ${typeof value} (${inspect(value).slice(0, 25)})`;
}

export function invalidArgType(name: string, expected: string, value: unknown): NodeArgError {
  const what = name.includes('.') ? 'property' : 'argument';
  return Object.assign(new TypeError(`The "${name}" ${what} must be ${expected}.${received(value)}`), { code: 'ERR_INVALID_ARG_TYPE', reason: 'ERR_INVALID_ARG_TYPE' });
}

export function outOfRange(name: string, range: string, value: unknown): NodeArgError {
  return Object.assign(new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${String(value)}`), {
    code: 'ERR_OUT_OF_RANGE',
    reason: 'ERR_OUT_OF_RANGE',
  });
}

export function validateObject(value: unknown, name: string): asserts value is object {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidArgType(name, 'of type object', value);
}

export function validateFunction(value: unknown, name: string): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
}

export function validateString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
}

/** An integer in [min, max] (node's validateInteger / validateInt32 / validateUint32). */
export function validateInteger(value: unknown, name: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
}

export function validateBuffer(value: unknown, name: string): asserts value is ArrayBufferView {
  if (!ArrayBuffer.isView(value)) throw invalidArgType(name, 'an instance of Buffer, TypedArray, or DataView', value);
}

/** node's ERR_TLS_INVALID_STATE: a TLS operation before the connection is secure. */
export function tlsInvalidState(): Error & { code: string; reason: string } {
  return Object.assign(new Error('TLS socket connection must be securely established'), { code: 'ERR_TLS_INVALID_STATE', reason: 'ERR_TLS_INVALID_STATE' });
}
