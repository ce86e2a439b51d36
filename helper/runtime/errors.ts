// A start that failed inside the shim: the message is the shim's text (e.g. `exec: "nope":
// executable file not found in $PATH`), exitCode what `docker run` would exit with: 127 command
// not found, 126 not executable, 125 the runtime could not set the container up.
import { StrataError, withContext } from '../errors';
import { ErrorCode } from '../protocol/errors';

export class ContainerStartError extends StrataError {
  constructor(
    message: string,
    readonly exitCode: number,
    options?: { cause?: unknown },
  ) {
    super(ErrorCode.RuntimeFailed, message, options);
    this.name = 'ContainerStartError';
  }
}

/** Like withContext, but a ContainerStartError keeps its class and exit code. */
export function startContext(context: string, err: unknown): StrataError {
  if (err instanceof ContainerStartError) return new ContainerStartError(`${context}: ${err.message}`, err.exitCode, { cause: err.cause ?? err });
  return withContext(context, err);
}
