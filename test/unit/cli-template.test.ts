// The Go text/template evaluator behind --format (helper/cli/template/): what Docker printed for the
// recorded template cases (test/fixtures/docker/recorded.json) over the same data, and Go's
// semantics and error messages a template script meets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { goMap, goStruct, nilMap, nilSlice, tabwrite, Template } from '../../helper/cli/template';
import { repoRoot } from '../support/strata';
import type { Recording } from '../fixtures/docker/cases';

const recording: Recording = JSON.parse(readFileSync(join(repoRoot(), 'test/fixtures/docker/recorded.json'), 'utf8'));
const recorded = (name: string) => recording.cases.find((c) => c.name === name)!;

/** The parts of `docker inspect exited3` and `docker inspect busybox` the recorded templates read. */
const exited3 = {
  Id: 'bc5371174d8d', Path: 'sh', Args: ['-c', 'exit 3'], Name: '/exited3',
  State: { Status: 'exited', Running: false, Paused: false, ExitCode: 3 },
  Mounts: [], Config: { Cmd: ['sh', '-c', 'exit 3'], Env: nilSlice, Labels: nilMap },
};
const busybox = {
  Id: 'sha256:x', Config: { Env: nilSlice, Cmd: nilSlice, Labels: nilMap },
  RootFS: { Type: 'layers', Layers: ['sha256:41a396fb54c77b5beee7a66a3a18e843baa94838cd8686610ab19ef02d6d1e98'] },
};

const run = (source: string, data: unknown, missingField: 'struct' | 'map' = 'map') => Template.parse(source).execute(data, undefined, { missingField });
/** The template of a recorded `docker inspect -f TEMPLATE ...` case. */
const templateOf = (name: string) => { const a = recorded(name).args; return a[a.findIndex((x) => x === '-f' || x === '--format') + 1]; };

test('the recorded inspect templates print what Docker printed', () => {
  for (const name of ['inspect-cmd', 'inspect-exitcode', 'inspect-json-config', 'inspect-funcs', 'inspect-if', 'inspect-range', 'inspect-println', 'inspect-trim', 'inspect-compare']) {
    assert.equal(`${run(templateOf(name), exited3)}\n`, recorded(name).stdout, name);
  }
  assert.equal(`${run(templateOf('inspect-env-null'), busybox)}\n`, recorded('inspect-env-null').stdout, 'nil slices print [] and encode as null; nil maps print map[]');
  assert.equal(`${run('{{.RootFS}}', busybox)} overlay2\n`, recorded('inspect-struct').stdout, 'a struct prints as {values}');
});

test("errors are Go's, with the place they happened", () => {
  assert.throws(() => run('{{.Nope}}', busybox), (e: Error) => `template parsing error: ${e.message}\n` === recorded('inspect-missing').stderr);
  assert.throws(() => Template.parse('{{.Id'), (e: Error) => `template parsing error: ${e.message}\n` === recorded('inspect-parse-error').stderr);
  const ps = goStruct({ ID: 'x' }, '*formatter.ContainerContext');
  assert.throws(() => run('{{.Nope}}', ps, 'struct'), (e: Error) => `failed to execute template: ${e.message}\n` === recorded('ps-bad-field').stderr);
  assert.throws(() => Template.parse('{{nope .X}}'), /^Error: template: :1: function "nope" not defined$/);
  assert.throws(() => Template.parse('{{$x}}'), /undefined variable "\$x"/);
  assert.throws(() => Template.parse('{{end}}'), /template: :1: unexpected \{\{end\}\}/);
  assert.throws(() => Template.parse('{{if .A}}x'), /unexpected EOF/);
  assert.throws(() => Template.parse('line1\n{{break}}'), /template: :2: \{\{break\}\} outside \{\{range\}\}/);
  assert.throws(() => run('{{index .Args 5}}', exited3), /at <index \.Args 5>: error calling index: index out of range: 5/);
  assert.throws(() => run('{{upper .State.ExitCode}}', exited3), /:1:8: executing "" at <\.State\.ExitCode>: wrong type for value; expected string; got int/);
  assert.throws(() => run('{{join .Args}}', exited3), /at <join>: wrong number of args for join: want 2 got 1/);
  assert.throws(() => run('{{.Path.Foo}}', exited3), /can't evaluate field Foo in type string/);
  assert.throws(() => run('{{eq .Path 3}}', exited3), /incompatible types for comparison/);
});

test('variables, scopes, range over maps in key order, break and continue, with and else', () => {
  assert.equal(run('{{$n := .Name}}{{range .Args}}{{$n}}:{{.}} {{end}}', exited3), '/exited3:-c /exited3:exit 3 ');
  assert.equal(run('{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}', {}), '2', 'assignment reaches the outer variable');
  assert.equal(run('{{range $k, $v := .}}{{$k}}={{$v}},{{end}}', goMap({ b: 2, a: 1 })), 'a=1,b=2,');
  assert.equal(run('{{range .}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}', [1, 2, 3, 4, 5]), '13');
  assert.equal(run('{{with .State}}{{.Status}}{{else}}none{{end}} {{with .Mounts}}m{{else}}no mounts{{end}}', exited3), 'exited no mounts');
  assert.equal(run('{{range 3}}{{.}}{{end}}', {}), '012', 'range over an int');
  assert.equal(run('{{$}}', 'top'), 'top');
});

test("functions: and/or give an operand and stop early, Docker's string functions, print and printf", () => {
  assert.equal(run('{{and 1 0 .Nope}}|{{or 0 "" "x"}}|{{not 0}}', {}), '0|x|true', '.Nope after a false operand is never read');
  assert.equal(run('{{pad "" 2 2}}|{{pad "a" 1 0}}|{{truncate "abc" 5}}|{{truncate "abcdef" 2}}', {}), '| a|abc|ab');
  assert.equal(run('{{title "hello wide-world"}}|{{split "a,b" ","}}|{{len (split "" ",")}}|{{join . "+"}}', goMap({ x: 'b', y: 'a' })), 'Hello Wide-World|[a b]|1|a+b');
  assert.equal(run('{{len "é"}}|{{index . "k"}}|{{index . "missing"}}', goMap({ k: 'v' }, '')), '2|v|', 'len counts bytes; a missing key of a string map is ""');
  assert.equal(run('{{print 1 2 "a" "b" 3}}|{{println "x" 1}}', {}), '1 2ab3|x 1\n');
  assert.equal(run('{{printf "%5s|%-4d|%05d|%x|%q|%t|%v|%d" "ab" 7 42 255 "q" true .A "s"}}', { A: [1, 2] }), '   ab|7   |00042|ff|"q"|true|[1 2]|%!d(string=s)');
  assert.equal(run('{{.A | printf "%s-%s" "x"}}', { A: 'y' }), 'x-y', 'the piped value is the last argument');
  assert.equal(run('{{json .}}', { a: '<b>', c: nilSlice }), '{"a":"<b>","c":null}', 'json of a plain value does not escape HTML');
  assert.equal(run('{{json .}}', goStruct({ a: '<b>' }, 'T', true)), '{"a":"\\u003cb\\u003e"}', "a list row's json does, as Docker's MarshalJSON");
  assert.equal(run('{{.Label "x"}}', goStruct({ Label: (k: string) => `label ${k}` }, 'T')), 'label x', 'a method with arguments');
  assert.equal(run('{{(index .Args 1)}} {{(index .Items 0).Name}}', { Args: ['a', 'b'], Items: [{ Name: 'n' }] }), 'b n');
});

test('lexing: trim markers, comments, raw strings, escapes, numbers, newlines in actions', () => {
  assert.equal(run('a  {{- "b" -}}  \n c', {}), 'abc');
  assert.equal(run('{{/* nothing */}}x{{- /* trimmed */ -}} y', {}), 'xy');
  assert.equal(run('{{`a\\tb`}}|{{"a\\tb"}}|{{"\\u00e9\\x41"}}', {}), 'a\\tb|a\tb|éA');
  assert.equal(run('{{0x1F}} {{1e3}} {{-2}} {{1.5}} {{\'a\'}}', {}), '31 1000 -2 1.5 97');
  assert.equal(run('{{if\n  .A}}yes{{end}}', { A: true }), 'yes');
  assert.equal(run('{{.}}', { a: 1, b: 'x', c: null }), '{1 x <nil>}');
  assert.equal(run('{{.}}', goMap({ b: [1], a: true })), 'map[a:true b:[1]]');
});

test('tabwriter: a column as wide as its widest cell plus 3, at least 10; the last cell is not padded', () => {
  assert.equal(tabwrite('REPOSITORY\tTAG\tIMAGE ID\nbusybox\tlatest\t8008efefc6a7\n'), recorded('images-table').stdout.replace(/6e9351660dc8|[0-9a-f]{12}/, '8008efefc6a7'));
  assert.equal(tabwrite('a\tb\nlonger text\tc\n\nx\ty\n'), 'a             b\nlonger text   c\n\nx         y\n', 'a line without a tab ends the block');
});
