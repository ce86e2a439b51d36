// The build's pure parts: Docker's word rules (quotes, escapes, ${VAR:-word}), how continuation
// lines join, what the parser refuses and where, the plan's step count, and .dockerignore's rules
// (cases from moby/patternmatcher's tests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nameValues, processWord, splitWords } from '../../helper/sources/build/lex';
import { DockerfileError, joinContinuations, parseDockerfile } from '../../helper/sources/build/parse';
import { makePlan } from '../../helper/sources/build/plan';
import { parseDockerignore, PatternMatcher } from '../../helper/sources/build/dockerignore';
import { goDuration } from '../../helper/sources/build/metadata';

const vars = new Map([['A', 'a'], ['EMPTY', ''], ['SP', 'x y']]);

test('processWord: quotes, escapes and expansions as Docker\'s shell lexer', () => {
  assert.equal(processWord('$A-${A}', vars), 'a-a');
  assert.equal(processWord('"$A b"', vars), 'a b');
  assert.equal(processWord("'$A'", vars), '$A');
  assert.equal(processWord('\\$A', vars), '$A');
  assert.equal(processWord('"\\$A \\"q\\" \\n"', vars), '$A "q" \\n');
  assert.equal(processWord('${NOPE:-def}|${EMPTY:-def}|${EMPTY-def}|${A:+alt}|${NOPE:+alt}', vars), 'def|def||alt|');
  assert.equal(processWord('$NOPE', vars), '');
  assert.equal(processWord('cost$', vars), 'cost$');
  assert.equal(processWord('`$A-$A', vars, '`'), '$A-a', 'with escape=`, a backtick escapes');
  assert.throws(() => processWord('"open', vars), /matching double-quote/);
  assert.throws(() => processWord('${NOPE:?must be set}', vars), /NOPE: must be set/);
});

test('splitWords and nameValues: quoted words stay whole; old and new ENV forms', () => {
  assert.deepEqual(splitWords('a "b c" d\\ e \'f g\''), ['a', '"b c"', 'd\\ e', "'f g'"]);
  assert.deepEqual(nameValues('A=1 B="two words"', 'ENV'), [{ key: 'A', value: '1' }, { key: 'B', value: '"two words"' }]);
  assert.throws(() => nameValues('A=1 B="two words" C', 'ENV'), /KEY=VALUE/);
  assert.deepEqual(nameValues('KEY the rest  of it', 'ENV'), [{ key: 'KEY', value: 'the rest  of it' }]);
  assert.deepEqual(nameValues('NAME', 'ARG'), [{ key: 'NAME', value: null }]);
});

test('continuation lines join as Docker joins them: comments and empty lines inside are dropped', () => {
  assert.equal(joinContinuations('echo a \\\n  b \\\n# note\n\n  c', '\\'), 'echo a   b   c');
  assert.equal(joinContinuations('echo a `\n  b', '`'), 'echo a   b');
});

test('the parser refuses what Strata does not build, at its line, before anything runs', () => {
  const at = (text: string) => { try { parseDockerfile(text); return null; } catch (e) { return e as DockerfileError; } };
  assert.equal(at('FROM a\nRUN --network=none x\n')?.line, 2);
  assert.match(String(at('FROM a\nRUN --network=none x\n')?.message), /^Dockerfile:2: RUN --network is not supported/);
  assert.equal(at('FROM a\n\n\nNOPE x\n')?.line, 4);
  assert.match(String(at('FROM a\nRUN <<EOF\necho hi\nEOF\n')?.message), /heredoc/);
  assert.match(String(at('FROM a\nONBUILD ONBUILD RUN x\n')?.message), /Chaining ONBUILD/);
  assert.equal(at('FROM a\nrun echo lower case\n'), null, 'keywords are case-insensitive');
  const df = parseDockerfile('# escape=`\nFROM a\nRUN echo `\n  b\nCOPY ["a b", "/c"]\n');
  assert.deepEqual(df.instructions.map((i) => [i.keyword, i.line, i.args, i.json]), [
    ['FROM', 2, 'a', null], ['RUN', 3, 'echo   b', null], ['COPY', 5, '["a b", "/c"]', ['a b', '/c']],
  ]);
});

test('the plan: meta ARGs, stages, --target, and the step count Docker prints', () => {
  const df = parseDockerfile('ARG X=1\nFROM a AS one\nRUN x\nFROM one AS two\nRUN y\nRUN z\nFROM two\nCMD z\n');
  assert.equal(makePlan(df, 'Dockerfile').totalSteps, 8);
  assert.equal(makePlan(df, 'Dockerfile', 'one').totalSteps, 3);
  assert.equal(makePlan(df, 'Dockerfile', 'TWO').stages.length, 2, 'stage names are case-insensitive');
  assert.throws(() => makePlan(parseDockerfile('RUN x\nFROM a\n'), 'Dockerfile'), /Dockerfile:1: RUN before the first FROM/);
  assert.throws(() => makePlan(parseDockerfile('FROM a AS x\nFROM b AS x\n'), 'Dockerfile'), /Dockerfile:2: duplicate name x/);
});

test('.dockerignore: patterns, parents, ** and the last matching line', () => {
  const m = (lines: string, file: string) => new PatternMatcher(parseDockerignore(lines)).excludes(file);
  assert.equal(m('*.log', 'a.log'), true);
  assert.equal(m('*.log', 'dir/a.log'), false, '* does not cross /');
  assert.equal(m('**/*.log', 'dir/deep/a.log'), true);
  assert.equal(m('**/*.log', 'a.log'), true);
  assert.equal(m('dir', 'dir/sub/file'), true, 'a parent that matches excludes what is under it');
  assert.equal(m('/dir/', 'dir/file'), true, 'leading and trailing / are cleaned away');
  assert.equal(m('*.log\n!keep.log', 'keep.log'), false);
  assert.equal(m('!keep.log\n*.log', 'keep.log'), true, 'the last matching line decides');
  assert.equal(m('a?c', 'abc'), true);
  assert.equal(m('[a-c]x', 'bx'), true);
  assert.equal(m('# just a comment', '# just a comment'), false);
  assert.equal(m('./docs/../build', 'build/out'), true);
  assert.equal(new PatternMatcher(parseDockerignore('logs\n!logs/keep')).canSkipDir('logs'), false);
  assert.equal(new PatternMatcher(parseDockerignore('logs\n!other')).canSkipDir('logs'), true);
});

test('HEALTHCHECK durations print as Go prints them', () => {
  assert.deepEqual([0, 5e9, 90e9, 3600e9, 1.5e9, 100e6].map(goDuration), ['0s', '5s', '1m30s', '1h0m0s', '1.5s', '100ms']);
});
