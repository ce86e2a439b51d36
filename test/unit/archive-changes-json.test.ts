// layer.changes and container.changes send layerChangesJson's bytes as they are (helper/json-text.ts):
// they must be exactly JSON.stringify of layerChanges, for every kind of change and every name JSON
// escapes or UTF-8 cannot hold; and the connection's writer must frame them as one response.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Message } from 'vscode-jsonrpc/node';
import { layerChanges, layerChangesJson } from '../../helper/archive';
import type { containerMethods } from '../../helper/engine/containers';
import type { EngineContext } from '../../helper/engine/context';
import type { imageMethods } from '../../helper/engine/images';
import type { runMethod } from '../../helper/engine/method-table';
import { JsonText } from '../../helper/json-text';
import type { Change } from '../../helper/protocol';
import { Backlog, BacklogWriter } from '../../helper/rpc/framing';
import { makeTmp, makeWhiteouts, removeTmp, setXattrs } from '../support/archive-fs';

/** A name as the binary (latin1) string the archive code uses for its bytes. */
const bytesOf = (s: string) => Buffer.from(s, 'utf8').toString('latin1');
/** Names JSON escapes (quote, backslash, controls), DEL, UTF-8, bytes that are not UTF-8, spaces. */
const ODD = ['a"b', 'c\\d', 'e\x01f', 'g\x7fh', bytesOf('é'), bytesOf('ü\tx'), '\xff\xfe', 'with space', 'plain'];

async function file(root: string, rel: string, text = 'x'): Promise<void> {
  const p = Buffer.from(join(root, rel), 'latin1');
  await fsp.mkdir(Buffer.from(join(root, rel, '..'), 'latin1'), { recursive: true });
  await fsp.writeFile(p, text);
}

// For the type checker (tsc -p .), never run: the engine's changes rows say they answer with
// pre-written JSON, and code in the helper cannot take that for the array it carries.
type LayerChangesRow = (typeof imageMethods)['layer.changes'];
type ContainerChangesRow = (typeof containerMethods)['container.changes'];
type Answer<Row extends { run: (...args: never[]) => unknown }> = Awaited<ReturnType<Row['run']>>;
export const changesRowsArePrewritten: [Answer<LayerChangesRow>, Answer<ContainerChangesRow>] extends [JsonText<Change[]>, JsonText<Change[]>] ? true : never = true;
export function refusedAsArrays(layer: Answer<LayerChangesRow>, container: Answer<ContainerChangesRow>): Change[][] {
  // @ts-expect-error: a JsonText<Change[]> is not a Change[] (parse its bytes)
  return [layer, container];
}
export function refusedByRunMethod(run: typeof runMethod, ctx: EngineContext, row: LayerChangesRow): Promise<Change[]> {
  // @ts-expect-error: named by its method alone, runMethod promises the array, which this row does not return
  return run<'layer.changes'>(ctx, row, { id: 'a' });
}

test('layerChangesJson is byte for byte JSON.stringify of layerChanges: A, C, D, directories, odd names, over lowers', async () => {
  const tmp = makeTmp();
  try {
    const [base, mid, upper] = ['base', 'mid', 'upper'].map((d) => join(tmp, d));
    for (const name of ODD) {
      await file(base, `old/${name}`);
      await file(base, `gone/${name}`);
      await file(base, `${name}/kept`);
    }
    await file(mid, 'mid/only');
    await fsp.mkdir(upper);
    for (const name of ODD) {
      await file(upper, `new/${name}/f`); // A, a new directory and a file in it
      await file(upper, `old/${name}`, 'changed size'); // C
      await file(upper, `${name}/added`); // C of the (odd) directory, A below
    }
    await fsp.mkdir(join(upper, 'gone'));
    await makeWhiteouts(upper, ODD.map((n) => `gone/${n}`)); // D
    await fsp.mkdir(join(upper, 'mid'));
    await setXattrs(upper, [['mid', 'trusted.overlay.opaque', 'y']]); // opaque: D of what was below
    await fsp.symlink('target', join(upper, 'link'));

    for (const lowers of [[mid, base], [base], []]) {
      const objects = await layerChanges(upper, lowers);
      assert.ok(objects.length > 40, `${objects.length} changes`);
      const expected = Buffer.from(JSON.stringify(objects), 'utf8');
      assert.equal((await layerChangesJson(upper, lowers)).toString('latin1'), expected.toString('latin1'), `over ${lowers.length} lowers`);
    }
    const kinds = new Set((await layerChanges(upper, [mid, base])).map((c) => `${c.kind}${c.dir ? '/' : ''}${c.pathBytes ? ' bytes' : ''}`));
    for (const k of ['A', 'A/', 'C', 'C/', 'D', 'A bytes', 'C bytes']) assert.ok(kinds.has(k), `the tree has a change of the form ${k}: ${[...kinds].join(', ')}`);
    assert.equal((await layerChangesJson(join(tmp, 'mid'), [join(tmp, 'mid')])).toString(), '[]', 'no change: an empty array');
  } finally {
    removeTmp(tmp);
  }
});

test('a pre-written JSON result goes out as one response, small or large, with its Content-Length', async () => {
  for (const size of [10, 200_000]) {
    const chunks: Buffer[] = [];
    const out = new Writable({ write: (c: Buffer, _e, done) => { chunks.push(c); done(); } });
    const writer = new BacklogWriter(out, new Backlog(out), () => undefined, () => assert.fail('no overflow'));
    const result = Array.from({ length: size / 10 }, (_, i) => ({ path: `/é${i}`, kind: 'A' }));
    await writer.write({ jsonrpc: '2.0', id: 7, result: new JsonText(Buffer.from(JSON.stringify(result), 'utf8')) } as Message);
    const frame = Buffer.concat(chunks).toString('latin1');
    const m = /^Content-Length: (\d+)\r\n\r\n/.exec(frame);
    assert.ok(m, 'a framed message');
    const body = Buffer.from(frame.slice(m[0].length), 'latin1');
    assert.equal(body.length, Number(m[1]), 'the length counts the result\'s bytes');
    assert.deepEqual(JSON.parse(body.toString('utf8')), { jsonrpc: '2.0', id: 7, result });
  }
});
