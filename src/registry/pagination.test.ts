import assert from 'node:assert/strict';
import { test } from 'node:test';
import { paginate, parseN } from './pagination.ts';
import { isRegistryError } from './registry-error.ts';

test('n/last pagination with Link', () => {
  const all = ['a', 'b', 'c', 'd', 'e'];
  assert.deepEqual(paginate(all, { path: '/x' }), { items: all });
  const p1 = paginate(all, { n: 2, path: '/v2/r/tags/list' });
  assert.deepEqual(p1.items, ['a', 'b']);
  assert.equal(p1.link, '</v2/r/tags/list?n=2&last=b>; rel="next"');
  assert.deepEqual(paginate(all, { n: 2, last: 'b', path: '/x' }).items, ['c', 'd']);
  const last = paginate(all, { n: 2, last: 'd', path: '/x' });
  assert.deepEqual(last, { items: ['e'] });
  assert.deepEqual(paginate(all, { n: 5, path: '/x' }), { items: all });
  assert.deepEqual(paginate(all, { n: 0, path: '/x' }), { items: [] });
  assert.deepEqual(paginate(all, { last: 'bb', path: '/x' }).items, ['c', 'd', 'e']);
  assert.deepEqual(paginate(all, { last: 'z', path: '/x' }).items, []);
  assert.equal(parseN(null), undefined);
  assert.equal(parseN('3'), 3);
  assert.throws(() => parseN('-1'), (e: unknown) => isRegistryError(e, 'PAGINATION_NUMBER_INVALID'));
});
