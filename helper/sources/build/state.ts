// What a stage of a build is at one point: the image it would be (an OCI config: layers, history,
// runtime config), the ARGs it has declared, and the build's inputs.
import type { ImageConfig } from '../../protocol/types';

export interface StageState {
  config: ImageConfig;
  /**
   * A stored image with this state's layers, once there is one (RUN needs one to run a container
   * of it): the FROM image, or the one written for a RUN. Its runtime config may differ (a RUN
   * gets the state's env, user and workdir itself); a stage's result is written exactly.
   */
  imageId: string | null;
  /** ARGs this stage declared, with their values (null: declared without one). */
  args: Map<string, string | null>;
  /** CMD set in this stage (ENTRYPOINT then keeps it; an inherited CMD is dropped, as Docker does). */
  cmdSet: boolean;
}

/** Whether two configs name the same layers, in the same order. */
export function sameLayers(a: ImageConfig, b: ImageConfig): boolean {
  return a.rootfs.diff_ids.length === b.rootfs.diff_ids.length && a.rootfs.diff_ids.every((d, i) => d === b.rootfs.diff_ids[i]);
}

export const DEFAULT_SHELL = ['/bin/sh', '-c'];

export function shellOf(state: StageState): string[] {
  return state.config.config.Shell?.length ? state.config.config.Shell : DEFAULT_SHELL;
}

/** KEY=VALUE list as a map (the last value of a key wins). */
export function envMap(env: string[] | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env ?? []) {
    const eq = e.indexOf('=');
    if (eq > 0) m.set(e.slice(0, eq), e.slice(eq + 1));
  }
  return m;
}

/** The ARGs in scope that have a value and that ENV does not override: what RUN gets besides ENV. */
export function argsInScope(state: StageState): Map<string, string> {
  const env = envMap(state.config.config.Env);
  const out = new Map<string, string>();
  for (const [k, v] of state.args) if (v !== null && !env.has(k)) out.set(k, v);
  return out;
}

/** What `$VAR` means in this stage's instructions: its ARGs, under its ENV. */
export function varsOf(state: StageState): Map<string, string> {
  const vars = new Map<string, string>();
  for (const [k, v] of state.args) if (v !== null) vars.set(k, v);
  for (const [k, v] of envMap(state.config.config.Env)) vars.set(k, v);
  return vars;
}

/** A state whose config is `config` with one history entry more (and, for a layer, its diff_id). */
export function nextState(state: StageState, body: ImageConfig['config'], history: { created: string; created_by: string }, diffId: string | null): StageState {
  const config: ImageConfig = {
    ...state.config,
    created: history.created,
    config: body,
    rootfs: { type: 'layers', diff_ids: diffId ? [...state.config.rootfs.diff_ids, diffId] : state.config.rootfs.diff_ids },
    history: [...state.config.history, diffId ? history : { ...history, empty_layer: true }],
  };
  return { ...state, config, imageId: null };
}
