// Stable error codes: the helper, the CLI and the extension agree on these numbers.
// (JSON-RPC reserves -32768..-32000; Strata's own codes start at 1000.)
export const ErrorCode = {
  InvalidParams: -32602,
  MethodNotFound: -32601,
  NotFound: 1001,
  InUse: 1002,
  BadArchive: 1003,
  LimitExceeded: 1004,
  StoreBusy: 1005,
  RuntimeFailed: 1006,
  Cancelled: 1007,
  AlreadyExists: 1008,
  NotRunning: 1009,
  BadRequest: 1010,
  Internal: 1099,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export function errorCodeName(code: number): string {
  const entry = Object.entries(ErrorCode).find(([, v]) => v === code);
  return entry ? entry[0] : `E${code}`;
}
