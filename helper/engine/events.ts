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

/** Progress of long work, as `progress` notifications tied to the client's token. */
export function progressFor(events: EngineEmitter, token: string): Progress {
  return (message, done, total) => events.emit('progress', { token, message, done, total });
}
