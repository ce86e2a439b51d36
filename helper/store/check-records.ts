// `strata check`, the records: image configs (what their id says, their layers present), tags
// (a valid name, an image here), containers (a record, an image, and its changes where the record
// says: store/moved-uppers.ts's rules), the short links in l/ and what is left in tmp/. --repair
// moves what it cannot place to lost+found (never a running container or what it needs), drops a
// tag that names nothing (kept in lost+found's tags.json), and finishes what was being removed.
import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { LINKS_DIR, linkName } from '../union/overlay-links';
import { type Finding, type Model, runningOn } from './check-model';
import { chainIds, SHA256_ID, shortId } from './ids';
import type { LostFound } from './lost-found';
import { formatReference, parseReference } from './reference';

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const remove = (path: string, said: string) => async () => { await fs.rm(path, { recursive: true, force: true }); return said; };

/** Images to keep: usable ones, and broken ones a running container needs (never moved). */
function keptImages(model: Model): Set<string> {
  return new Set([...model.configs.keys()].filter((id) => model.usable.has(id) || runningOn(model, id)));
}

export function imageFindings(model: Model): Finding[] {
  const { store } = model;
  const out: Finding[] = [];
  for (const f of model.scan.images) {
    const rel = `images/${f.name}`;
    if (f.halfWritten) out.push({ path: rel, problem: f.problem!, fix: remove(join(store.paths.images, f.name), 'removed') });
    else if (f.problem) out.push({ path: rel, problem: f.problem, fix: async (lost) => { if (f.id) store.images.forget(f.id); return lost.move(rel); } });
  }
  for (const [id, config] of model.configs) {
    if (model.usable.has(id)) continue;
    const chain = chainIds(config.rootfs.diff_ids);
    const n = chain.findIndex((l) => !model.layers.has(l));
    const why = `its layer ${n + 1} of ${chain.length}, ${chain[n]}, is ${model.scan.layers.some((d) => d.rec?.id === chain[n]) ? 'broken' : 'missing'}`;
    const rel = `images/${id.slice(7)}.json`;
    const running = runningOn(model, id);
    if (running) out.push({ path: rel, problem: `${why}; not repaired: container ${running} runs on it` });
    else out.push({ path: rel, problem: why, fix: async (lost) => { store.images.forget(id); return lost.move(rel); } });
  }
  return out;
}

/** Why `name` cannot be a tag, or undefined when it can (reference.ts: as Docker parses names). */
function badName(name: string): string | undefined {
  try {
    return formatReference(parseReference(name)) === name ? undefined : `it is not in its normal form, ${formatReference(parseReference(name))}`;
  } catch (err) {
    return message(err);
  }
}

export function tagFindings(model: Model): Finding[] {
  const { store, scan } = model;
  if (scan.tagsProblem) {
    return [{ path: 'repositories.json', problem: scan.tagsProblem, fix: async (lost) => {
      const said = await lost.move('repositories.json');
      await store.images.dropTagsWhere(() => true);
      return `${said}; no tags now`;
    } }];
  }
  const kept = keptImages(model);
  const out: Finding[] = [];
  for (const [name, id] of Object.entries(scan.tags)) {
    const why = badName(name);
    const problem = why ? `tag ${name} is not a valid name: ${why}`
      : !SHA256_ID.test(id) ? `tag ${name} points at ${JSON.stringify(id)}, which is not an image id`
      : !kept.has(id) ? `tag ${name} points at ${id}, which is ${model.configs.has(id) ? 'broken' : 'not an image here'}` : undefined;
    if (problem) out.push({ path: 'repositories.json', problem, fix: async (lost) => {
      await store.images.dropTagsWhere((n) => n === name);
      return lost.keepTag(name, id);
    } });
  }
  return out;
}

export function containerFindings(model: Model, moved: string[]): Finding[] {
  const { store } = model;
  const kept = keptImages(model);
  const out: Finding[] = [];
  const moveContainer = (name: string) => async (lost: LostFound) => {
    if (store.containers.get(name)) { store.containers.forget(name); moved.push(name); }
    return lost.move(`containers/${name}`);
  };
  for (const d of model.scan.containers) {
    const rel = `containers/${d.name}`;
    if (d.beingRemoved) out.push({ path: rel, problem: d.problem!, fix: remove(join(store.paths.containers, d.name), 'removed, as it was being') });
    else if (d.problem) out.push({ path: rel, problem: d.problem, fix: moveContainer(d.name) });
    else if (!kept.has(d.rec!.imageId)) {
      const why = `container ${d.rec!.name}: its image ${d.rec!.imageId} is ${model.configs.has(d.rec!.imageId) ? 'broken' : 'gone'}`;
      if (d.rec!.status === 'running') out.push({ path: rel, problem: `${why}; not repaired: it is running` });
      else out.push({ path: rel, problem: why, fix: moveContainer(d.name) });
    } else out.push(...changesFindings(model, d.name));
  }
  const onDisk = new Set(model.scan.containers.map((d) => d.name));
  for (const rec of store.containers.list()) {
    if (onDisk.has(rec.id)) continue;
    out.push({ path: `containers/${rec.id}`, problem: `container ${rec.name}: its folder is gone`, fix: async () => { store.containers.forget(rec.id); moved.push(rec.id); return 'its record is dropped'; } });
  }
  return out;
}

/** Where the container's changes are against where its record says (store/moved-uppers.ts). */
function changesFindings(model: Model, id: string): Finding[] {
  const { store } = model;
  const { paths } = store;
  const d = model.scan.containers.find((c) => c.name === id)!;
  const rec = d.rec!;
  const rel = `containers/${id}`;
  const save = (upperLayer: null) => store.containers.save({ ...(store.containers.get(id) ?? rec), upperLayer });
  const out: Finding[] = [];
  if (d.stage || d.upperCopy) {
    out.push({ path: rel, problem: `container ${rec.name}: an unfinished ${d.stage ? 'commit stage (commit/)' : 'copy of its changes (upper.copy/)'} is left`, fix: async (lost) => {
      const staged = join(paths.containerCommitStage(id), 'layer');
      if (!d.upper && d.stage && (await fs.access(staged).then(() => true, () => false))) {
        await fs.rename(staged, paths.containerUpper(id));
        await save(null);
      }
      const said: string[] = [];
      if (d.stage) said.push(await lost.move(`${rel}/commit`));
      if (d.upperCopy) await fs.rm(paths.containerUpperCopy(id), { recursive: true, force: true });
      return [...said, ...(d.upperCopy ? ['the unfinished copy removed'] : [])].join('; ');
    } });
  }
  if (rec.upperLayer && !model.layers.has(rec.upperLayer)) {
    const home = d.upper ? 'its changes are in its upper dir' : 'nothing holds its changes now';
    out.push({ path: rel, problem: `container ${rec.name}: its record says its changes are in layer ${rec.upperLayer}, which is gone; ${home}`, fix: async () => {
      // (recursive: a leftover stage's repair above may have put its changes back there already.)
      if (!d.upper) await fs.mkdir(paths.containerUpper(id), { recursive: true, mode: 0o755 });
      await save(null);
      return d.upper ? 'its record names its upper dir again' : 'it starts from its image, with an empty upper dir';
    } });
  } else if (rec.upperLayer && d.upper) {
    out.push({ path: rel, problem: `container ${rec.name}: both its upper dir and layer ${shortId(rec.upperLayer)} hold its changes`, fix: async () => {
      await save(null);
      return 'its record names its upper dir, the newer';
    } });
  } else if (!rec.upperLayer && !d.upper && rec.startedAt && !d.stage) {
    out.push({ path: rel, problem: `container ${rec.name}: its upper dir is gone: what it wrote is lost`, fix: async () => {
      await fs.mkdir(paths.containerUpper(id), { recursive: true, mode: 0o755 });
      return 'it starts from its image, with an empty upper dir';
    } });
  }
  return out;
}

/** l/<name>: a symbolic link to a layer's files, named as union/overlay-links.ts names it. */
export function linkFindings(model: Model): Finding[] {
  const { root } = model.store.paths;
  const out: Finding[] = [];
  for (const link of model.scan.links) {
    const rel = `${LINKS_DIR}/${link.name}`;
    const m = link.target === undefined ? null : /^(.*)\/graph\/([0-9a-f]{64})\/layer$/.exec(link.target);
    const problem = link.target === undefined ? 'not a symbolic link: l/ holds the layers\' short links only'
      : !m || m[1] !== root ? `a link to ${link.target}, which is not a layer of this store`
      : !model.layers.has(`sha256:${m[2]}`) ? `a link to layer sha256:${m[2]}, which is gone`
      : linkName(link.target) !== link.name ? `a link to layer sha256:${m[2]} under another name than its own, ${linkName(link.target)}` : undefined;
    if (!problem) continue;
    out.push({ path: rel, problem, fix: link.target === undefined ? (lost) => lost.move(rel) : remove(join(root, rel), 'removed (a link holds no data)') });
  }
  return out;
}

/** tmp/ holds the stages of work in flight (Store.stage); anything else is left over. */
export function stagingFindings(model: Model): Finding[] {
  const { store, scan } = model;
  const inFlight = store.stagesInFlight(scan.tmp);
  const out: Finding[] = scan.tmp.filter((n) => !inFlight.has(n)).map((n) => ({
    path: `tmp/${n}`, problem: 'left over from work that did not finish', fix: remove(join(store.paths.tmp, n), 'removed (tmp/ is staging)'),
  }));
  for (const n of scan.rootHalfWritten) out.push({ path: n, problem: 'a half-written tags file (a write cut short)', fix: remove(join(store.paths.root, n), 'removed') });
  return out;
}
