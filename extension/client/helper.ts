// The connection to the root helper: found the first time something needs it (so activation
// stays fast), remembered, and made again after the settings change or the helper goes away.
// State changes drive the status bar, the views' welcome and the context key strata.helperState.
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Notifications, StrataClient } from '../../helper/protocol';
import { helperEndpoint } from '../../helper/protocol/endpoint';
import { adviceFor, HelperUnavailableError } from './errors';
import { helperCommand, socketTransport, spawnTransport, type LaunchMode, type Transport } from './launch';
import type { LoggedClient } from './logged-client';
import { readSettings, type StrataSettings } from './settings';

export type HelperState = 'idle' | 'connecting' | 'connected' | 'failed';

function connectionKey(s: StrataSettings): string {
  return JSON.stringify([s.storeRoot, s.launch, s.socket]);
}

const VERIFY_TIMEOUT_MS: Record<LaunchMode, number> = { direct: 30_000, sudo: 30_000, socket: 15_000, pkexec: 180_000 };

export class Helper implements vscode.Disposable {
  state: HelperState = 'idle';
  /** How the current connection was made, for the status bar. */
  describe = '';
  storeRoot = '';
  lastError: HelperUnavailableError | undefined;
  /** The connection settings the current connection (or attempt) was made with. */
  private madeWith = '';
  private current: LoggedClient | undefined;
  private transport: Transport | undefined;
  private connecting: Promise<StrataClient> | undefined;
  /** Bumped by reset(): a connection made for older settings is thrown away when it arrives. */
  private generation = 0;
  private readonly stateEmitter = new vscode.EventEmitter<HelperState>();
  private readonly storeEmitter = new vscode.EventEmitter<Notifications['changed']>();
  /** The state changed (connecting, connected, failed, idle after a loss). */
  readonly onDidChangeState = this.stateEmitter.event;
  /** The store changed (the helper's `changed` notification). */
  readonly onDidChangeStore = this.storeEmitter.event;
  private readonly filesEmitter = new vscode.EventEmitter<Notifications['container.changed']>();
  /** A running container's files changed (the helper's `container.changed`, a few a second at most). */
  readonly onDidChangeContainerFiles = this.filesEmitter.event;

  constructor(private readonly extensionPath: string, private readonly log: vscode.LogOutputChannel) {}

  /** The client, connecting first if needed. Rejects with HelperUnavailableError. */
  client(): Promise<StrataClient> {
    if (this.current && this.state === 'connected') return Promise.resolve(this.current);
    if (!this.connecting) {
      const attempt: Promise<StrataClient> = this.connect().finally(() => { if (this.connecting === attempt) this.connecting = undefined; });
      this.connecting = attempt;
    }
    return this.connecting;
  }

  /** Opens a raw upload channel when connected through a socket; undefined: upload as base64. */
  rawChannelOpener(): Transport['openRawChannel'] {
    return this.transport?.openRawChannel;
  }

  /** For views: the client, unless the last attempt failed (then a view shows its welcome, not a retry loop). */
  async clientForView(): Promise<StrataClient | undefined> {
    if (this.state === 'failed') return undefined;
    return this.client().catch(() => undefined);
  }

  /** Whether the settings now differ from those the connection was made with. */
  settingsChanged(): boolean {
    return this.madeWith !== connectionKey(readSettings());
  }

  /** Drops the connection; the next client() makes a new one. */
  reset(): void {
    const t = this.transport;
    const c = this.current;
    this.generation++;
    this.connecting = undefined;
    this.current = undefined;
    this.transport = undefined;
    c?.dispose();
    t?.close();
    this.lastError = undefined;
    this.setState('idle');
  }

  private setState(state: HelperState): void {
    this.state = state;
    void vscode.commands.executeCommand('setContext', 'strata.helperState', state);
    this.stateEmitter.fire(state);
  }

  private modesToTry(): LaunchMode[] {
    const s = readSettings();
    if (s.launch !== 'auto') return [s.launch];
    if (process.getuid?.() === 0) return ['direct'];
    if (s.socket) return ['socket'];
    // pkexec needs a polkit agent on a desktop the user sits at; a remote or headless host has none.
    const desktop = !vscode.env.remoteName && !!(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
    return desktop ? ['sudo', 'pkexec'] : ['sudo'];
  }

  private async connect(): Promise<StrataClient> {
    const generation = this.generation;
    this.setState('connecting');
    const settings = readSettings();
    this.storeRoot = settings.storeRoot;
    this.madeWith = connectionKey(settings);
    const tried: { mode: LaunchMode; why: string }[] = [];
    for (const mode of this.modesToTry()) {
      try {
        const { client, transport } = await this.open(mode, settings.storeRoot, settings.socket);
        if (generation !== this.generation) {
          // The settings changed while this connection was being made: make one for the new ones.
          client.dispose();
          transport.close();
          return this.client();
        }
        this.install(client, transport);
        this.setState('connected');
        return client;
      } catch (err) {
        const why = (err as Error).message;
        this.log.warn(`helper via ${mode}: ${why}`);
        tried.push({ mode, why });
      }
    }
    let cmd = 'node dist/helper.js --root R --connect';
    try { cmd = helperCommand('direct', this.extensionPath, settings.storeRoot).join(' '); } catch { /* shown in `tried` */ }
    const detail = tried.map((t) => `${t.mode}: ${t.why}`).join('; ');
    if (generation !== this.generation) return this.client();
    const advice = adviceFor(tried, cmd, join(this.extensionPath, 'dist', 'helper.js'), settings.socket);
    const error = new HelperUnavailableError(`Strata cannot reach its helper (${detail}). ${advice}`, tried);
    this.lastError = error;
    this.log.error(error.message);
    this.setState('failed');
    throw error;
  }

  private async open(mode: LaunchMode, storeRoot: string, socket: string): Promise<{ client: LoggedClient; transport: Transport }> {
    let transport: Transport;
    if (mode === 'socket') {
      if (!socket) throw new Error('strata.helper.launch is "socket" but strata.helper.socket is empty');
      transport = await socketTransport(socket);
    } else {
      const argv = helperCommand(mode, this.extensionPath, storeRoot);
      this.log.info(`starting the helper: ${argv.join(' ')}`);
      // As root (direct), the store's socket is reachable too: uploads go raw on it.
      // (The path is StorePaths.socket's; helper/store is not loaded into the extension host.)
      const rawSocket = mode === 'direct' ? helperEndpoint(storeRoot).socket : undefined;
      transport = spawnTransport(mode, argv, (line) => this.log.info(`[helper] ${line}`), rawSocket);
    }
    // Loaded here, not at activation: vscode-jsonrpc alone takes ~20 ms to load.
    const { createMessageConnection, StreamMessageReader, StreamMessageWriter } = await import('vscode-jsonrpc/node');
    const { LoggedClient } = await import('./logged-client');
    const connection = createMessageConnection(new StreamMessageReader(transport.reader), new StreamMessageWriter(transport.writer));
    connection.onError(([err]) => this.log.warn(`helper connection: ${err.message}`));
    connection.listen();
    const client = new LoggedClient(connection, this.log);
    // The first request proves the way works: sudo asking for a password, a dead socket or a
    // helper refusing to start all end here, with what they said.
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${VERIFY_TIMEOUT_MS[mode] / 1000} s`)), VERIFY_TIMEOUT_MS[mode]);
    });
    const ended = transport.ended.then((why) => { throw new Error(why); });
    // Whichever loses the race must not become an unhandled rejection later.
    timeout.catch(() => undefined);
    ended.catch(() => undefined);
    try {
      const info = await Promise.race([client.request('store.info', {}), ended, timeout]);
      this.log.info(`connected to the helper (pid ${info.helperPid}, protocol ${info.version}) serving ${info.root} via ${transport.describe}`);
    } catch (err) {
      client.dispose();
      transport.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return { client, transport };
  }

  /** Makes a verified connection the current one. */
  private install(client: LoggedClient, transport: Transport): void {
    this.current = client;
    this.transport = transport;
    this.describe = transport.describe;
    client.on('changed', (e) => { this.log.trace(`changed ${e.what}${e.id ? ` ${e.id}` : ''}`); this.storeEmitter.fire(e); });
    client.on('progress', (p) => this.log.info(`[progress] ${p.message}`));
    // A push, not a request: traced only, so the log keeps to what was asked (issue 10, item 8).
    client.on('container.changed', (e) => { this.log.trace(`container.changed ${e.id}`); this.filesEmitter.fire(e); });
    void transport.ended.then((why) => {
      if (this.current !== client) return;
      this.log.warn(`the helper connection ended: ${why}`);
      this.current = undefined;
      this.transport = undefined;
      this.setState('idle');
    });
  }

  dispose(): void {
    this.current?.dispose();
    this.transport?.close();
    this.stateEmitter.dispose();
    this.storeEmitter.dispose();
    this.filesEmitter.dispose();
  }
}
