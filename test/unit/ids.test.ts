// Identities match Docker's and OCI's: chain ids follow the spec's formula.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chainId, chainIds, hexOf, randomId, sha256, shortId } from '../../helper/store/ids';

const d1 = sha256('layer one');
const d2 = sha256('layer two');
const d3 = sha256('layer three');

test('sha256 ids carry the sha256: prefix and 64 hex digits', () => {
  assert.match(sha256('x'), /^sha256:[a-f0-9]{64}$/);
  assert.equal(sha256(''), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});

test('the empty layer (two zero blocks) has the well-known diff_id', () => {
  assert.equal(sha256(Buffer.alloc(1024)), 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef');
});

test('the chain id of a base layer is its diff_id', () => {
  assert.equal(chainId(null, d1), d1);
});

test('the chain id of a child is sha256 of "<parent chain id> <diff_id>"', () => {
  const expected = 'sha256:' + createHash('sha256').update(`${d1} ${d2}`).digest('hex');
  assert.equal(chainId(d1, d2), expected);
  const third = 'sha256:' + createHash('sha256').update(`${expected} ${d3}`).digest('hex');
  assert.deepEqual(chainIds([d1, d2, d3]), [d1, expected, third]);
});

test('the same change on the same parent gives the same id, whoever computes it; on another parent another id', () => {
  // The value `printf '%s %s' <d1> <d3> | sha256sum` prints: what Docker computes for that chain, and
  // what this id must stay in every version of Strata, so a user can check a layer id by hand.
  const d3Again = sha256(Buffer.from('layer three'));
  assert.equal(chainId(d1, d3Again), 'sha256:14b6aa3601390b3ca2a34fb45712d3921dbf2b64ab991e867beb85a468fb8cce');
  assert.equal(chainIds([d1, d3Again])[1], chainId(d1, d3));
  assert.equal(chainId(d2, d3), 'sha256:5a2a6e6b1a1cf51d34c1c7a73b4a3bb58e11dcf2270c37ae481a595c401eab38');
  assert.notEqual(chainId(d3, d1), chainId(d1, d3), 'the order of the layers matters');
});

test('container ids are 64 random hex digits, short ids 12', () => {
  const a = randomId();
  assert.match(a, /^[a-f0-9]{64}$/);
  assert.notEqual(a, randomId());
  assert.equal(shortId(a), a.slice(0, 12));
  assert.equal(hexOf(d1).length, 64);
  assert.equal(shortId(d1), hexOf(d1).slice(0, 12));
});
