// Strata's engine behind its API: JSON-RPC over the helper's socket from one persistent client,
// as the extension talks to it, doing what the peers' Engine API calls do (docker-api.ts).
import { createReadStream, openSync } from 'node:fs';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { openHelperSocket, rawChannelOpener } from '../../helper/cli/connect';
import { directSource } from '../../helper/cli/direct-source';
import { StrataClient } from '../../helper/protocol';

export class StrataApi {
  private constructor(readonly root: string, readonly client: StrataClient, private readonly close_: () => void) {}

  /** A client on the helper serving `root` (started in the background if none runs). */
  static async open(root: string): Promise<StrataApi> {
    const sock = await openHelperSocket(root);
    const conn = createMessageConnection(new StreamMessageReader(sock), new StreamMessageWriter(sock));
    conn.listen();
    return new StrataApi(root, new StrataClient(conn), () => { conn.dispose(); sock.destroy(); });
  }

  /** container.create + container.start + container.wait, as the extension's Run does. */
  async createStartWait(image: string, cmd: string[]): Promise<string> {
    const { id } = await this.client.request('container.create', {
      image, options: { cmd, tty: false, openStdin: false, env: [], network: 'none', autoRemove: false },
    });
    await this.client.request('container.start', { id });
    const { exitCode } = await this.client.request('container.wait', { id });
    if (exitCode !== 0) throw new Error(`strata: ${cmd.join(' ')} exited ${exitCode}`);
    return id;
  }

  async remove(id: string): Promise<void> {
    await this.client.request('container.remove', { id, force: true });
  }

  async commit(container: string, ref: string): Promise<string> {
    return (await this.client.request('container.commit', { id: container, ref })).id;
  }

  async removeImage(ref: string): Promise<void> {
    await this.client.request('image.remove', { ref, force: true });
  }

  /**
   * upload.begin, then image.import while the tar travels raw on a second connection: streamed by
   * this process (as the extension sends a file it read), or with `asTheCli` sent by the kernel
   * (`strata-fs send`), as `strata import FILE` sends it.
   */
  async importTar(file: string, name: string, asTheCli = false): Promise<string> {
    const { token } = await this.client.request('upload.begin', {});
    const imported = this.client.request('image.import', { token, name });
    const source = asTheCli ? directSource(openSync(file, 'r'), file, true) : (createReadStream(file, { highWaterMark: 1024 * 1024 }) as AsyncIterable<Uint8Array>);
    const sent = this.client.upload(token, source, { openRawChannel: rawChannelOpener(this.root) });
    const [r] = await Promise.all([imported, sent]);
    return r.id;
  }

  close(): void {
    this.close_();
  }
}
