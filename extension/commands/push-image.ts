// strata.pushImage [image row | name | id] [target HOST[:PORT]/REPO[:TAG]] [{insecure, format}] [CancellationToken]:
// as `strata push`. The image is tagged with the target first when it is not already; the login
// comes from VS Code's secret storage (asked once: registry-auth.ts). With arguments it asks nothing
// but a login the registry wants.
import * as vscode from 'vscode';
import { parseRegistryRef } from '../../helper/distribution/registry-ref';
import { ImageNode } from '../tree/image-node';
import { withLogin } from './registry-auth';
import { withLayerProgress } from './registry-progress';
import type { Services } from './services';
import { ask, pickImage } from './targets';
import { CancelledError } from './wrap';

function validTarget(value: string): string | undefined {
  try {
    parseRegistryRef(value, { allowDigest: false });
    return value.includes('/') ? undefined : 'HOST[:PORT]/REPO[:TAG], e.g. 127.0.0.1:5000/myimage:latest';
  } catch (err) {
    return (err as Error).message;
  }
}

export async function pushImage(s: Services, arg?: unknown, targetArg?: unknown, opts?: unknown, cancelArg?: unknown) {
  const source = arg instanceof ImageNode ? arg.imageId : typeof arg === 'string' && arg ? arg : await pickImage(s, 'Push which image?');
  if (!source) throw new CancelledError();
  const shown = arg instanceof ImageNode ? arg.ref : source;
  const target = typeof targetArg === 'string' && targetArg
    ? targetArg
    : await ask({ title: `Push ${shown}`, prompt: 'To HOST[:PORT]/REPO[:TAG] (the image is tagged with it)', value: /^[^/]+[.:][^/]*\//.test(shown) ? shown : '', validateInput: validTarget });
  const invalid = validTarget(target);
  if (invalid) throw new Error(`"${target}" is not a registry reference: ${invalid}`);
  const ref = parseRegistryRef(target, { allowDigest: false });
  const o = (opts ?? {}) as { insecure?: boolean; format?: 'docker' | 'oci' };
  const client = await s.helper.client();
  await client.request('image.tag', { source, target });
  s.images.refresh();
  const result = await withLogin(s, ref.host, !!o.insecure, (auth) => withLayerProgress(client, `Pushing ${target}`, cancelArg as vscode.CancellationToken | undefined,
    (progressToken, token) => client.request('image.push', { ref: target, insecure: o.insecure, format: o.format, auth, progressToken }, token)));
  s.log.info(`push ${target}: ${result.digest} (${result.pushed} pushed, ${result.existed} already there, ${result.mounted} mounted)`);
  void vscode.window.showInformationMessage(`Strata: pushed ${target}: ${result.pushed} layers sent, ${result.existed + result.mounted} already there; digest ${result.digest.slice(0, 19)}…`);
  return result;
}
