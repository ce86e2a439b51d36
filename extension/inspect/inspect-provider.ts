// Read-only documents about a container or an image, on strata-inspect: URIs (issue 10, part B), so
// that they open in the editor as any file does (JSON highlighted, find, copy, folding):
//   strata-inspect:/container/<id>/<short id> inspect.json   what `strata inspect ID` prints (Docker's
//                                                      document, helper/cli/inspect-documents.ts),
//                                                      read again when the store changes
//   strata-inspect:/image/<id>/<short id> inspect.json       the image's inspect, likewise (without the
//                                                      layers' tar check: it reads every layer)
//   strata-inspect:/processes/<id>/<short id> processes.txt  its processes, as `strata top` (live)
//   strata-inspect:/stats/<id>/<short id> stats.txt          memory and tasks against the limits run
//                                                      set, and CPU, as `strata stats` (live)
//   strata-inspect:/history/<id>/<short id> history.txt      the image's layers, newest first, with
//                                                      what made each (created_by), as a table
// (The last segment is only the editor tab's label.)
// Everything comes from the helper; nothing here reads the disk.
import * as vscode from 'vscode';
import type { ContainerProcessInfo, ContainerStats, HistoryEntry } from '../../helper/protocol';
import { renderInspect } from '../../helper/cli/docker-format';
import { inspectDocument } from '../../helper/cli/inspect-documents';
import { ErrorCode } from '../../helper/protocol/errors';
import { requestErrorCode } from '../client/errors';
import type { Helper } from '../client/helper';
import { age, formatSize, shortId } from '../tree/format';

export const INSPECT_SCHEME = 'strata-inspect';
export type InspectKind = 'container' | 'image' | 'processes' | 'stats' | 'history';

const LABEL: Record<InspectKind, string> = { container: 'inspect.json', image: 'inspect.json', processes: 'processes.txt', stats: 'stats.txt', history: 'history.txt' };
/** How often a shown live document is read again. */
const LIVE_MS: Partial<Record<InspectKind, number>> = { processes: 2000, stats: 1000 };

export function inspectUri(kind: InspectKind, id: string): vscode.Uri {
  const short = id.replace(/^sha256:/, '').slice(0, 12);
  return vscode.Uri.from({ scheme: INSPECT_SCHEME, path: `/${kind}/${id}/${short} ${LABEL[kind]}` });
}

function parse(uri: vscode.Uri): { kind: InspectKind; id: string } | undefined {
  const m = /^\/(container|image|processes|stats|history)\/([A-Za-z0-9][A-Za-z0-9_.:@-]*)\/[^/]+$/.exec(uri.path);
  return m ? { kind: m[1] as InspectKind, id: m[2] } : undefined;
}

const pad = (text: string, width: number) => text.padEnd(width);

/** Rows under a header, columns aligned, the last one left whole (it is the long one). */
function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows].map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : pad(cell, widths[i]))).join('  ').trimEnd()).join('\n');
}

/** `strata history` (as `docker history --no-trunc`): newest first, what made each layer whole. */
export function historyTable(list: HistoryEntry[], now = Date.now()): string {
  const rows = list.map((h) => [
    h.emptyLayer ? '<missing>' : shortId(h.id), age(h.created, now), h.emptyLayer ? '0 B' : formatSize(h.size), h.comment || '',
    h.createdBy.replace(/\s*\n\s*/g, ' ') || '(no command recorded)',
  ]);
  return table(['LAYER', 'CREATED', 'SIZE', 'COMMENT', 'CREATED BY'], rows);
}

export function processTable(list: ContainerProcessInfo[]): string {
  const rows = list.map((p) => [String(p.pid), String(p.containerPid), String(p.ppid), String(p.uid), p.started, `${p.cpuSeconds.toFixed(2)} s`, p.command]);
  const head = ['PID', 'CONTAINER PID', 'PPID', 'UID', 'STARTED', 'CPU TIME', 'COMMAND'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows].map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : pad(cell, widths[i]))).join('  ')).join('\n');
}

/** One stats reading as lines; `cpuPercent` from the reading before it. */
export function statsText(st: ContainerStats, cpuPercent: number | undefined): string {
  const against = (used: number | null, limit: number | null, show: (n: number) => string) =>
    used === null ? 'not counted here' : limit === null ? `${show(used)} (no limit)` : `${show(used)} of ${show(limit)} (${((100 * used) / limit).toFixed(1)}%)`;
  return [
    `MEMORY    ${against(st.memoryBytes, st.memoryLimit, formatSize)}`,
    `TASKS     ${against(st.pids, st.pidsLimit, String)}`,
    `CPU       ${cpuPercent === undefined ? '…' : `${cpuPercent.toFixed(1)}%`} (${st.cpuSeconds.toFixed(2)} s in all)`,
  ].join('\n');
}

export class InspectProvider implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.emitter.event;
  private readonly lastCpu = new Map<string, { at: number; seconds: number }>();
  private readonly timer: NodeJS.Timeout;
  private readonly subs: vscode.Disposable[];
  private ticks = 0;
  /** Live documents whose container is gone: read no more (a removed container does not come back). */
  private readonly gone = new Set<string>();

  constructor(private readonly helper: Helper) {
    // A live document is read again only while an editor shows it.
    this.timer = setInterval(() => this.tick(), 1000);
    this.subs = [helper.onDidChangeStore(() => this.storeChanged())];
  }

  private shown(): vscode.Uri[] {
    return vscode.window.visibleTextEditors.map((e) => e.document.uri).filter((u) => u.scheme === INSPECT_SCHEME);
  }

  private tick(): void {
    this.ticks++;
    for (const uri of this.shown()) {
      if (this.gone.has(uri.toString())) continue;
      const every = LIVE_MS[parse(uri)?.kind ?? 'container'];
      if (every && (this.ticks * 1000) % every === 0) this.emitter.fire(uri);
    }
  }

  /** The store changed (a rename, a stop, a tag): open inspects are read again (a few, and cheap). */
  private storeChanged(): void {
    for (const doc of vscode.workspace.textDocuments) {
      const p = doc.uri.scheme === INSPECT_SCHEME ? parse(doc.uri) : undefined;
      if (p && (p.kind === 'container' || p.kind === 'image' || p.kind === 'history')) this.emitter.fire(doc.uri);
    }
  }

  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    const p = parse(uri);
    if (!p) return `Strata: not something to inspect: ${uri.toString()}\n`;
    const client = await this.helper.client();
    try {
      switch (p.kind) {
        case 'container':
        case 'image': return renderInspect(undefined, [await inspectDocument(client, p.kind, p.id)]).out;
        case 'processes': return `${processTable(await client.request('container.top', { id: p.id }))}\n`;
        case 'history': {
          const detail = await client.request('image.inspect', { ref: p.id });
          const list = await client.request('image.history', { ref: p.id });
          const title = `History of ${detail.repoTags.join(', ') || '<none>'} (image ${shortId(detail.id)}): ${list.length} step${list.length === 1 ? '' : 's'}, newest first`;
          return `${title}\n\n${historyTable(list)}\n`;
        }
        case 'stats': return `${this.statsNow(p.id, (await client.request('containers.stats', { ids: [p.id] }))[0])}\n`;
      }
    } catch (err) {
      // Shown in the document: a stopped container has no processes or stats, and says so.
      if (requestErrorCode(err) === ErrorCode.NotFound && LIVE_MS[p.kind]) {
        this.gone.add(uri.toString());
        return `Strata: ${(err as Error).message}\nThis document is no longer updated.\n`;
      }
      return `Strata: ${(err as Error).message}\n`;
    }
  }

  private statsNow(id: string, st: ContainerStats): string {
    const now = Date.now();
    const before = this.lastCpu.get(id);
    this.lastCpu.set(id, { at: now, seconds: st.cpuSeconds });
    const percent = before && now > before.at ? (100 * (st.cpuSeconds - before.seconds) * 1000) / (now - before.at) : undefined;
    return `Container ${st.name} (${st.id.slice(0, 12)}), read ${new Date(now).toLocaleTimeString()}, again each second while shown\n\n${statsText(st, percent)}`;
  }

  dispose(): void {
    clearInterval(this.timer);
    for (const s of this.subs) s.dispose();
    this.emitter.dispose();
  }
}
