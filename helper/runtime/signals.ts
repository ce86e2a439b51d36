// Signal names to numbers for the shim's "signal <n>" line (the shim speaks numbers only).
import { constants } from 'node:os';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';

export function signalNumber(sig: NodeJS.Signals | number): number {
  const n = typeof sig === 'number' ? sig : (constants.signals as Record<string, number>)[sig];
  if (!Number.isInteger(n) || n < 1 || n > 64) {
    throw new StrataError(ErrorCode.InvalidParams, `unknown signal ${JSON.stringify(sig)}`);
  }
  return n;
}
