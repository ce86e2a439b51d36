// The one error type the engine throws: a stable code (see protocol/errors.ts), a message a person
// can act on, and the cause kept for the log.
import { ErrorCode } from './protocol/errors';

export class StrataError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StrataError';
  }
}

/** Prefixes an error's message with what was being done, keeping its code and cause. */
export function withContext(context: string, err: unknown): StrataError {
  if (err instanceof StrataError) return new StrataError(err.code, `${context}: ${err.message}`, { cause: err.cause ?? err });
  const message = err instanceof Error ? err.message : String(err);
  return new StrataError(ErrorCode.Internal, `${context}: ${message}`, { cause: err });
}
