// Registry references as push and pull take them: a host, a repository, a tag or digest, and
// nothing that could make the root helper speak to something else (a URL, a path, user info);
// plain http is decided on the name the user wrote (loopback only), never on DNS.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isLoopbackHost, localName, parseRegistryRef } from '../../helper/distribution/registry-ref';
import { parseChallenges } from '../../helper/distribution/registry-auth';
import { methods } from '../../helper/protocol';
import { summarize } from '../../extension/client/logged-client';

test('HOST[:PORT]/REPO[:TAG|@DIGEST] and Docker Hub names', () => {
  assert.deepEqual(parseRegistryRef('127.0.0.1:5000/a/b:v1', { allowDigest: false }), { host: '127.0.0.1:5000', apiHost: '127.0.0.1:5000', repo: 'a/b', tag: 'v1' });
  assert.deepEqual(parseRegistryRef('localhost/x', { allowDigest: false }), { host: 'localhost', apiHost: 'localhost', repo: 'x', tag: 'latest' });
  const d = `sha256:${'a'.repeat(64)}`;
  assert.deepEqual(parseRegistryRef(`reg.example.com/x@${d}`, { allowDigest: true }), { host: 'reg.example.com', apiHost: 'reg.example.com', repo: 'x', digest: d });
  assert.deepEqual(parseRegistryRef('busybox', { allowDigest: false }), { host: 'docker.io', apiHost: 'registry-1.docker.io', repo: 'library/busybox', tag: 'latest' });
  assert.equal(localName(parseRegistryRef('busybox:1', { allowDigest: false })), 'busybox:1');
  assert.equal(localName(parseRegistryRef('127.0.0.1:5000/a:1', { allowDigest: false })), '127.0.0.1:5000/a:1');
});

test('what is not a reference is refused: URLs, paths, user info, bad ports, digests on push', () => {
  for (const bad of ['http://evil/x', 'file:///etc/passwd', '/etc/passwd', 'user@host:5000/x', 'host:99999/x', 'host:5000/X', 'host:5000/../x', 'host:5000/x@sha256:12']) {
    assert.throws(() => parseRegistryRef(bad, { allowDigest: true }), /invalid registry reference/, bad);
  }
  assert.throws(() => parseRegistryRef(`h:1/x@sha256:${'a'.repeat(64)}`, { allowDigest: false }), /push takes a tag/);
  assert.throws(() => methods['image.pull'].params.check({ ref: '/etc/passwd' }, 'image.pull'), /registry reference/);
});

test('loopback by name only: 127.0.0.0/8, ::1, localhost', () => {
  for (const h of ['127.0.0.1:5000', '127.9.9.9', 'localhost:1', '[::1]:5000', 'LOCALHOST']) assert.ok(isLoopbackHost(h), h);
  for (const h of ['192.0.2.2:5000', '127.0.0.1.nip.io', 'localhost.example.com', '10.0.0.1', '[::2]:5000']) assert.ok(!isLoopbackHost(h), h);
});

test('WWW-Authenticate challenges', () => {
  assert.deepEqual(parseChallenges('Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull"'), [
    { scheme: 'bearer', params: { realm: 'https://auth.example.com/token', service: 'registry.example.com', scope: 'repository:a/b:pull' } },
  ]);
  assert.deepEqual(parseChallenges('Basic realm="x"'), [{ scheme: 'basic', params: { realm: 'x' } }]);
  assert.deepEqual(parseChallenges(undefined), []);
});

test("the extension's request log never shows a registry password", () => {
  const line = summarize({ ref: '127.0.0.1:5000/x:1', auth: { username: 'alice', password: 's3cret' } });
  assert.doesNotMatch(line, /s3cret/);
  assert.match(line, /alice/);
});
