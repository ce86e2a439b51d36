// strata.pullImage [HOST[:PORT]/REPO[:TAG|@DIGEST]] [{insecure}] [CancellationToken]: as `strata pull`,
// with a progress notification per layer and Cancel (the layers already verified stay: pulling
// again fetches only the rest). The login comes from VS Code's secret storage, asked once.
import * as vscode from 'vscode';
import { parseRegistryRef } from '../../helper/distribution/registry-ref';
import { withLogin } from './registry-auth';
import { withLayerProgress } from './registry-progress';
import type { Services } from './services';
import { ask } from './targets';

function validRef(value: string): string | undefined {
  try {
    parseRegistryRef(value, { allowDigest: true });
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

export async function pullImage(s: Services, refArg?: unknown, opts?: unknown, cancelArg?: unknown) {
  const ref = typeof refArg === 'string' && refArg
    ? refArg
    : await ask({ title: 'Pull Image', prompt: 'HOST[:PORT]/REPO[:TAG] or HOST[:PORT]/REPO@sha256:DIGEST', placeHolder: '127.0.0.1:5000/busybox:latest', validateInput: validRef });
  const invalid = validRef(ref);
  if (invalid) throw new Error(invalid);
  const parsed = parseRegistryRef(ref, { allowDigest: true });
  const insecure = !!(opts as { insecure?: boolean } | undefined)?.insecure;
  const client = await s.helper.client();
  try {
    const result = await withLogin(s, parsed.host, insecure, (auth) => withLayerProgress(client, `Pulling ${ref}`, cancelArg as vscode.CancellationToken | undefined,
      (progressToken, token) => client.request('image.pull', { ref, insecure, auth, progressToken }, token)));
    s.log.info(`pull ${ref}: image ${result.id} (${result.pulled} layers fetched, ${result.existed} already here), ${result.digest}`);
    void vscode.window.showInformationMessage(`Strata: pulled ${result.tag ?? ref}: ${result.pulled} layers fetched, ${result.existed} already here.`);
    const node = await s.images.findImage(result.id);
    if (node) await s.imagesView.reveal(node, { select: true, focus: false, expand: true });
    return result;
  } finally {
    s.images.refresh();
  }
}
