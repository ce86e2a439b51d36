// strata.buildImage [Dockerfile uri] [name[:tag]]: "Build Image with Strata…" on a Dockerfile (the
// Explorer's context menu, the editor's title). Asks the name (remembered per Dockerfile), packs
// the Dockerfile's folder as the context (its .dockerignore applied, as `strata build` does: the
// same packer, helper/cli/build-context.ts), streams it to the helper, and shows the output in a
// terminal named for the image. A failed step's message becomes a Diagnostic on its line; the
// layers the build made are labelled with their instructions in the Images view.
import { randomBytes } from 'node:crypto';
import { dirname, basename } from 'node:path';
import * as vscode from 'vscode';
import { packContext } from '../../helper/cli/build-context';
import type { BuildStep } from '../../helper/protocol';
import { BuildPty } from '../terminal/build-pty';
import { buildRecords } from '../tree/build-records';
import { shortId } from '../tree/format';
import type { Services } from './services';
import { ask, validateImageRef } from './targets';
import { CancelledError } from './wrap';

let diagnostics: vscode.DiagnosticCollection | undefined;
function diagnosticsOf(s: Services): vscode.DiagnosticCollection {
  if (!diagnostics) {
    diagnostics = vscode.languages.createDiagnosticCollection('strata-build');
    s.context.subscriptions.push(diagnostics, { dispose: () => { diagnostics = undefined; } });
  }
  return diagnostics;
}

export interface BuildResult { id: string; tags: string[]; steps: BuildStep[]; terminal: vscode.Terminal; pty: BuildPty }

function dockerfileUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && arg) return vscode.Uri.file(arg);
  return vscode.window.activeTextEditor?.document.uri;
}

/** "my-app/Dockerfile" -> "my-app": a name a user would likely pick. */
function suggestedName(file: string): string {
  return basename(dirname(file)).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'built';
}

/** The line a failed build points at: the file:line its message names, else the step that ran last. */
function failedLine(message: string, file: string, lastStep: number | undefined): number | undefined {
  const m = /^(?:image\.build: )?([^\n:]+):(\d+): /.exec(message);
  if (m && (m[1] === basename(file) || file.endsWith(m[1]))) return Number(m[2]);
  return lastStep;
}

export async function buildImage(s: Services, uriArg?: unknown, tagArg?: unknown): Promise<BuildResult> {
  const uri = dockerfileUri(uriArg);
  if (!uri || uri.scheme !== 'file') throw new Error('open or pick a Dockerfile on disk to build');
  const key = `strata.buildTag:${uri.toString()}`;
  const tag = typeof tagArg === 'string' && tagArg ? tagArg : await ask({
    title: `Build Image with Strata: ${vscode.workspace.asRelativePath(uri)}`, prompt: 'Name[:tag] of the image',
    value: s.context.workspaceState.get<string>(key) ?? suggestedName(uri.fsPath), validateInput: validateImageRef,
  });
  if (!tag) throw new CancelledError();
  const invalid = validateImageRef(tag);
  if (invalid) throw new Error(`"${tag}" is not a valid image name: ${invalid}`);
  await s.context.workspaceState.update(key, tag);
  const diags = diagnosticsOf(s);
  diags.delete(uri);

  const pty = new BuildPty();
  const terminal = vscode.window.createTerminal({ name: `build ${tag}`, pty, iconPath: new vscode.ThemeIcon('tools') });
  terminal.show(true);
  await pty.ready();
  const client = await s.helper.client();
  pty.attach(client);
  let lastLine: number | undefined;
  // The steps' progress comes under a token of ours (the Dockerfile line of the step running).
  const progressToken = randomBytes(16).toString('hex');
  const { token } = await client.request('upload.begin', {});
  const stepSub = client.on('progress', (p) => { if (p.token === progressToken && p.line) lastLine = p.line; });
  try {
    const packed = await packContext({ dir: dirname(uri.fsPath), dockerfile: { path: uri.fsPath } });
    const building = client.request('image.build', {
      token, session: pty.session, progressToken, dockerfile: packed.dockerfile, dockerfileName: basename(uri.fsPath), dockerfileOutsideContext: packed.outside,
      tags: [tag], buildArgs: [], noCache: false, remove: true, forceRemove: false, network: 'none',
    });
    const uploading = client.upload(token, packed.tar, { openRawChannel: s.helper.rawChannelOpener() });
    const [built, uploaded] = await Promise.allSettled([building, uploading]);
    if (built.status === 'rejected') throw built.reason;
    if (uploaded.status === 'rejected') throw uploaded.reason;
    const result = built.value;
    pty.finish(`Built ${tag} (${shortId(result.id)}).`, true);
    await buildRecords.record(uri.toString(), result.steps);
    s.images.refresh();
    s.log.info(`built ${uri.fsPath} as ${tag}: image ${result.id}`);
    const node = await s.images.findImage(result.id);
    if (node) await s.imagesView.reveal(node, { select: true, focus: false, expand: true });
    return { ...result, terminal, pty };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    pty.finish(message, false);
    const line = failedLine(message, uri.fsPath, lastLine);
    if (line !== undefined) {
      const d = new vscode.Diagnostic(new vscode.Range(line - 1, 0, line - 1, Number.MAX_SAFE_INTEGER), message.replace(/^image\.build: /, ''), vscode.DiagnosticSeverity.Error);
      d.source = 'Strata build';
      diags.set(uri, [d]);
    }
    throw err;
  } finally {
    stepSub.dispose();
  }
}
