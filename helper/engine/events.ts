// What the engine tells its faces (RPC connections): store changes and progress. Session output
// goes to the session's own listeners (see sessions.ts), not through here.
import { EventEmitter } from 'node:events';
import type { Notifications } from '../protocol/methods';

export type EngineEvents = {
  changed: [Notifications['changed']];
  progress: [Notifications['progress']];
  log: [string];
};

export class EngineEmitter extends EventEmitter<EngineEvents> {}

export type Progress = (message: string, done?: number, total?: number) => void;
export const noProgress: Progress = () => {};

/** A Progress whose last held-back count can be sent at once (before the work's answer goes out). */
export type ThrottledProgress = Progress & { flush(): void };

// Counts (`done` without the end reached) go out at most this often. An import reports every MiB:
// 204 notifications for the minbase tar, each a JSON message written to every connection. A CPU
// profile of the helper over 4 imports through the CLI (2026-12-05) put 77 ms in them, ~19 ms an
// import of ~250 ms of the helper's CPU; ten a second is as smooth as a progress bar needs.
export const PROGRESS_EVERY_MS = 100;

/**
 * Progress of long work, as `progress` notifications tied to the client's token. Counts closer
 * together than PROGRESS_EVERY_MS are held back, the newest kept: it goes out when that time is
 * up, before any other report, or at flush(), so the last count is never lost or out of order.
 */
export function progressFor(events: EngineEmitter, token: string, every = PROGRESS_EVERY_MS): ThrottledProgress {
  let sentAt = -Infinity;
  let held: Notifications['progress'] | null = null;
  let timer: NodeJS.Timeout | null = null;
  const send = (e: Notifications['progress']) => {
    sentAt = performance.now();
    events.emit('progress', e);
  };
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    const e = held;
    held = null;
    if (e) send(e);
  };
  const progress = (message: string, done?: number, total?: number) => {
    const e = { token, message, done, total };
    const counting = done !== undefined && (total === undefined || done < total);
    if (!counting) {
      flush();
      send(e);
      return;
    }
    const wait = sentAt + every - performance.now();
    if (wait <= 0 && !held) {
      send(e);
      return;
    }
    held = e;
    timer ??= setTimeout(flush, Math.max(0, wait));
  };
  return Object.assign(progress, { flush });
}
