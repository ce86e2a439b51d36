// The typed client, with every request written to the "Strata" output channel: what was asked,
// how it ended and how long it took. Keystrokes and upload chunks go at trace level only (they
// are many, and a shell's input may hold a password).
import type { LogOutputChannel } from 'vscode';
import type { CancellationToken, MessageConnection } from 'vscode-jsonrpc';
import { StrataClient, StrataRequestError, type MethodName, type ParamsOf, type ResultOf } from '../../helper/protocol';

const QUIET = new Set<string>(['upload.write', 'session.input', 'session.resize']);

/** Params as a short line: base64 payloads become their size, long strings are cut. */
export function summarize(params: unknown): string {
  const text = JSON.stringify(params, (key, value) =>
    key === 'data' && typeof value === 'string' ? `<${Math.floor((value.length * 3) / 4)} bytes>`
      // A registry login (image.push, image.pull, registry.login) never reaches the log file.
      : key === 'password' && typeof value === 'string' ? '<hidden>' : value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

export class LoggedClient extends StrataClient {
  constructor(connection: MessageConnection, private readonly log: LogOutputChannel) {
    super(connection);
  }

  override async request<M extends MethodName>(method: M, params: ParamsOf<M>, cancel?: CancellationToken): Promise<ResultOf<M>> {
    const quiet = QUIET.has(method);
    const started = performance.now();
    const say = (line: string) => (quiet ? this.log.trace(line) : this.log.info(line));
    say(`→ ${method} ${summarize(params)}`);
    try {
      const result = await super.request(method, params, cancel);
      say(`← ${method} ok (${Math.round(performance.now() - started)} ms)`);
      return result;
    } catch (err) {
      const code = err instanceof StrataRequestError ? ` ${err.codeName}` : '';
      this.log.warn(`✗ ${method}${code}: ${(err as Error).message} (${Math.round(performance.now() - started)} ms)`);
      throw err;
    }
  }
}
