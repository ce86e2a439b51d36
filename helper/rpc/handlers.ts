// The methods that belong to a connection rather than to the engine: uploads (owned by the
// connection that began them), attaching to a session's output, following a log, and the streams
// of an exec. Everything else is served straight from the engine's tables (rpc/methods.ts).
// Parameters arrive here already validated.
import type { Engine } from '../engine';
import { StrataError } from '../errors';
import { importImage } from '../engine/images';
import { buildImage } from '../engine/build';
import { exportContainer, loadImages, saveImages } from '../engine/archives';
import { mainSession, normalizeSignal, readLogs } from '../engine/containers';
import { createExec } from '../engine/exec';
import { progressFor } from '../engine/events';
import type { SessionListener } from '../engine/sessions';
import { garbageLikely } from './memory';
import { ErrorCode } from '../protocol/errors';
import type { MethodName, Notifications, ParamsOf, ResultOf } from '../protocol/methods';

export interface ConnectionState {
  engine: Engine;
  notify<N extends keyof Notifications>(name: N, params: Notifications[N]): void;
  /** Sessions this connection is attached to. */
  detachers: Map<string, () => void>;
  /** Identity of this connection, owner of its uploads. */
  owner: object;
}

type Handler<M extends MethodName> = (params: ParamsOf<M>, state: ConnectionState) => Promise<ResultOf<M>> | ResultOf<M>;
type HandlerTable<K extends MethodName> = { [M in K]: Handler<M> };

/** Forwards a session's output and exit to this connection; the exit also detaches it. */
function forwardTo(state: ConnectionState, session: () => string): SessionListener {
  return {
    output: (stream, data) => state.notify('session.output', { session: session(), stream, data: data.toString('base64') }),
    exit: (exitCode) => {
      const id = session();
      state.notify('session.exit', { session: id, exitCode });
      state.detachers.get(id)?.();
      state.detachers.delete(id);
    },
  };
}

/** Replaces whatever this connection had attached under `session`. */
function setDetacher(state: ConnectionState, session: string, detach: () => void): void {
  state.detachers.get(session)?.();
  state.detachers.set(session, detach);
}

const empty = {} as Record<string, never>;

export const connectionHandlers = {
  'image.import': (p, state) => {
    const { engine } = state;
    const upload = engine.uploads.get(p.token, state.owner);
    const progress = progressFor(engine.events, p.token);
    return importImage(engine.ctx, upload.stream, {
      name: p.name, message: p.message, changes: p.changes, maxBytes: p.maxBytes, maxCompressionRatio: p.maxCompressionRatio,
      progress,
      rawSocket: () => upload.claimRaw(),
    })
      .catch((err: unknown) => {
        // Unblock the client's pending writes: nobody reads this upload any more.
        upload.abort('the import failed');
        throw err;
      })
      .finally(() => {
        // The last count goes out before the answer does.
        progress.flush();
        garbageLikely();
      });
  },
  'image.build': (p, state) => {
    const { engine } = state;
    const upload = engine.uploads.get(p.token, state.owner);
    // The build belongs to its client: session.detach of its session, or the connection's end, cancels it.
    const cancel = new AbortController();
    setDetacher(state, p.session, () => cancel.abort(new StrataError(ErrorCode.Cancelled, 'the build was cancelled')));
    const { token: _t, session, progressToken, ...params } = p;
    const out = {
      line: (text: string) => state.notify('session.output', { session, stream: 'stdout', data: Buffer.from(`${text}\n`).toString('base64') }),
      data: (stream: 'stdout' | 'stderr', data: Buffer) => state.notify('session.output', { session, stream, data: data.toString('base64') }),
      step: (done: number, total: number, message: string, line: number) => { if (progressToken) state.notify('progress', { token: progressToken, message, done, total, line }); },
    };
    return buildImage(engine.ctx, upload.stream, params, out, cancel.signal)
      .catch((err: unknown) => {
        upload.abort('the build failed');
        throw err;
      })
      .finally(() => { state.detachers.delete(session); garbageLikely(); });
  },
  // Save, load, export (engine/archives.ts): what they make leaves by a download, what they read
  // arrives by an upload.
  'image.save': (p, { engine, owner }) => engine.downloads.fill(p.token, owner, () => saveImages(engine.ctx, p.refs, p.format, undefined, p.compress)),
  'container.export': (p, { engine, owner }) => engine.downloads.fill(p.token, owner, () => exportContainer(engine.ctx, p.id)),
  'image.load': (p, state) => {
    const upload = state.engine.uploads.get(p.token, state.owner);
    return loadImages(state.engine.ctx, upload.stream)
      .catch((err: unknown) => { upload.abort('the load failed'); throw err; })
      .finally(garbageLikely);
  },
  'download.begin': (_p, state) => ({ token: state.engine.downloads.open(state.owner).token }),
  'download.abort': (p, state) => { state.engine.downloads.get(p.token, state.owner).abort('cancelled by the client'); return empty; },
  'upload.begin': (_p, state) => ({ token: state.engine.uploads.open(state.owner).token }),
  'upload.write': async (p, state) => {
    const upload = state.engine.uploads.get(p.token, state.owner);
    // Chunks from here would interleave with the raw stream's at arbitrary points.
    if (upload.fedRaw) throw new StrataError(ErrorCode.InUse, 'upload is fed by a raw stream: upload.write is refused');
    await upload.write(Buffer.from(p.data, 'base64'));
    return { received: upload.received };
  },
  'upload.end': async (p, state) => ({ received: await state.engine.uploads.get(p.token, state.owner).finish(p.size) }),
  'upload.abort': (p, state) => {
    state.engine.uploads.get(p.token, state.owner).abort('cancelled by the client');
    return empty;
  },
  'container.attach': (p, state) => {
    const { ctx } = state.engine;
    const session = mainSession(ctx, ctx.store.containers.resolve(p.id));
    setDetacher(state, session.id, session.attach(forwardTo(state, () => session.id)));
    return { session: session.id, tty: session.tty, running: session.process !== null };
  },
  'container.logs': (p, state) => {
    const { tty, stop } = readLogs(state.engine.ctx, p.id, { follow: p.follow, tail: p.tail, since: p.since, until: p.until }, {
      record: (r) => state.notify('session.output', { session: p.session, stream: r.stream, data: r.data.toString('base64'), time: r.time }),
      end: () => {
        state.notify('session.exit', { session: p.session, exitCode: 0 });
        state.detachers.delete(p.session);
      },
    });
    // The connection's end stops a follower (connection.ts runs every detacher).
    setDetacher(state, p.session, stop);
    return { tty };
  },
  'container.exec': (p, state) => {
    const { ctx } = state.engine;
    const { session } = createExec(ctx, p.id, { cmd: p.cmd, tty: p.tty, openStdin: p.openStdin, env: p.env, workdir: p.workdir, user: p.user });
    // Attached from the start, so the first bytes are not lost.
    state.detachers.set(session, ctx.sessions.get(session).attach(forwardTo(state, () => session)));
    return { session };
  },
  'session.input': (p, { engine }) => { engine.ctx.sessions.get(p.session).input(Buffer.from(p.data, 'base64')); return empty; },
  'session.closeStdin': (p, { engine }) => { engine.ctx.sessions.get(p.session).closeStdin(); return empty; },
  'session.resize': (p, { engine }) => { engine.ctx.sessions.get(p.session).running().resize(p.cols, p.rows); return empty; },
  'session.detach': (p, state) => { state.detachers.get(p.session)?.(); state.detachers.delete(p.session); return empty; },
  'session.signal': (p, { engine }) => { engine.ctx.sessions.get(p.session).running().signal(normalizeSignal(p.signal)); return empty; },
} satisfies HandlerTable<
  | 'image.import' | 'image.build' | 'image.save' | 'image.load' | 'container.export' | 'download.begin' | 'download.abort' | 'upload.begin' | 'upload.write' | 'upload.end' | 'upload.abort' | 'container.attach' | 'container.logs'
  | 'container.exec' | 'session.input' | 'session.closeStdin' | 'session.resize' | 'session.detach' | 'session.signal'
>;
