// Method -> engine call, per connection. Parameters arrive here already validated.
import type { Engine } from '../engine';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import type { MethodName, Notifications, ParamsOf, ResultOf } from '../protocol/methods';
import { BUILD_ID, PROTOCOL_VERSION } from '../protocol/methods';

export interface ConnectionState {
  engine: Engine;
  notify<N extends keyof Notifications>(name: N, params: Notifications[N]): void;
  /** Sessions this connection is attached to. */
  detachers: Map<string, () => void>;
  /** Identity of this connection, owner of its uploads. */
  owner: object;
}

type Handler<M extends MethodName> = (params: ParamsOf<M>, state: ConnectionState) => Promise<ResultOf<M>> | ResultOf<M>;
type HandlerTable = { [M in MethodName]: Handler<M> };

function attachListener(state: ConnectionState, session: string) {
  return {
    output: (stream: 'stdout' | 'stderr', data: Buffer) => state.notify('session.output', { session, stream, data: data.toString('base64') }),
    exit: (exitCode: number) => {
      state.notify('session.exit', { session, exitCode });
      state.detachers.get(session)?.();
      state.detachers.delete(session);
    },
  };
}

const empty = {} as Record<string, never>;

export const handlers: HandlerTable = {
  'store.info': (_p, { engine }) => ({ root: engine.root, helperPid: process.pid, version: PROTOCOL_VERSION, build: BUILD_ID }),
  'images.list': (_p, { engine }) => engine.listImages(),
  'system.df': (_p, { engine }) => engine.diskUsage(),
  'image.inspect': (p, { engine }) => engine.inspectImage(p.ref),
  'image.history': (p, { engine }) => engine.history(p.ref),
  'image.tag': (p, { engine }) => engine.tagImage(p.source, p.target),
  'image.remove': (p, { engine }) => engine.removeImage(p.ref, p.force),
  'images.prune': (p, { engine }) => engine.pruneImages(p.all),
  'image.import': (p, state) => {
    const upload = state.engine.uploads.get(p.token, state.owner);
    return state.engine
      .importImage(upload.stream, { name: p.name, message: p.message, changes: p.changes, progress: state.engine.progressFor(p.token) })
      .catch((err: unknown) => {
        // Unblock the client's pending writes: nobody reads this upload any more.
        upload.abort('the import failed');
        throw err;
      });
  },
  'image.busybox': (p, { engine }) => engine.busyboxImage(p.name),
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
  'layer.inspect': (p, { engine }) => engine.inspectLayer(p.id),
  'layer.changes': (p, { engine }) => engine.layerChanges(p.id),
  'layer.readFile': (p, { engine }) => engine.readLayerFile(p.id, p.path, p.side),
  'containers.list': (p, { engine }) => engine.listContainers(p.all),
  'containers.prune': (_p, { engine }) => engine.pruneContainers(),
  'container.create': (p, { engine }) => engine.createContainer(p.image, p.options),
  'container.start': (p, { engine }) => engine.startContainer(p.id, p.size),
  'container.attach': (p, state) => {
    let sessionId = '';
    const listener = {
      output: (stream: 'stdout' | 'stderr', data: Buffer) => attachListener(state, sessionId).output(stream, data),
      exit: (code: number) => attachListener(state, sessionId).exit(code),
    };
    const { session, tty, running, detach } = state.engine.attach(p.id, listener);
    sessionId = session;
    state.detachers.get(session)?.();
    state.detachers.set(session, detach);
    return { session, tty, running };
  },
  'container.wait': (p, { engine }) => engine.waitContainer(p.id),
  'container.stop': (p, { engine }) => engine.stopContainer(p.id, p.timeout),
  'container.kill': (p, { engine }) => engine.killContainer(p.id, p.signal),
  'container.rename': (p, { engine }) => engine.renameContainer(p.id, p.name),
  'container.pause': (p, { engine }) => engine.pauseContainer(p.id),
  'container.unpause': (p, { engine }) => engine.unpauseContainer(p.id),
  'container.remove': (p, { engine }) => engine.removeContainer(p.id, p.force),
  'container.inspect': (p, { engine }) => engine.inspectContainer(p.id),
  'container.changes': (p, { engine }) => engine.containerChanges(p.id),
  'container.top': (p, { engine }) => engine.containerTop(p.id),
  'containers.stats': (p, { engine }) => engine.containerStats(p.ids),
  'container.logs': (p, state) => {
    const { tty, stop } = state.engine.containerLogs(p.id, { follow: p.follow, tail: p.tail }, {
      record: (r) => state.notify('session.output', { session: p.session, stream: r.stream, data: r.data.toString('base64'), time: r.time }),
      end: () => {
        state.notify('session.exit', { session: p.session, exitCode: 0 });
        state.detachers.delete(p.session);
      },
    });
    // The connection's end stops a follower (connection.ts runs every detacher).
    state.detachers.get(p.session)?.();
    state.detachers.set(p.session, stop);
    return { tty };
  },
  'container.readFile': (p, { engine }) => engine.readContainerFile(p.id, p.path, p.side),
  'container.commit': (p, { engine }) => engine.commitContainer(p.id, {
    ref: p.ref, message: p.message, author: p.author, changes: p.changes, pause: p.pause,
    progress: p.progressToken ? engine.progressFor(p.progressToken) : undefined,
  }),
  'container.exec': (p, state) => {
    const { session } = state.engine.createExec(p.id, { cmd: p.cmd, tty: p.tty, openStdin: p.openStdin, env: p.env, workdir: p.workdir, user: p.user });
    // Attached from the start, so the first bytes are not lost.
    state.detachers.set(session, state.engine.attachSession(session, attachListener(state, session)));
    return { session };
  },
  'exec.start': (p, { engine }) => engine.startExec(p.session, p.size),
  'session.input': (p, { engine }) => { engine.sessionInput(p.session, Buffer.from(p.data, 'base64')); return empty; },
  'session.closeStdin': (p, { engine }) => { engine.sessionCloseStdin(p.session); return empty; },
  'session.resize': (p, { engine }) => { engine.sessionResize(p.session, p.cols, p.rows); return empty; },
  'session.detach': (p, state) => { state.detachers.get(p.session)?.(); state.detachers.delete(p.session); return empty; },
  'session.signal': (p, { engine }) => { engine.sessionSignal(p.session, p.signal); return empty; },
};
