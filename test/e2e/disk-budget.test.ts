// Disk budget: with images over --disk-budget, berthd removes the oldest unused image (never one a container uses,
// never a parent), reports it (daemon event, /info, system df footer), and checks again after a commit.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Daemon, isRoot, sleep } from './harness.ts';

const MiB = 1024 * 1024;

describe('disk budget', { skip: !isRoot() && 'needs root' }, () => {
  let d: Daemon;
  before(async () => {
    d = await Daemon.start();
    assert.equal((await d.berth(['bootstrap', 'busybox'])).code, 0);
  });
  after(async () => {
    await d?.destroy();
  });

  const tags = async () => ((await d.api('GET', '/images/json')).body as { RepoTags: string[] }[]).flatMap((i) => i.RepoTags ?? []).sort();
  async function make(name: string): Promise<void> {
    const r = await d.docker(['run', '--name', `mk-${name}`, 'busybox', 'dd', 'if=/dev/urandom', 'of=/blob', 'bs=1M', 'count=2']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await d.docker(['commit', `mk-${name}`, `${name}:latest`])).code, 0);
    assert.equal((await d.docker(['rm', `mk-${name}`])).code, 0);
  }
  async function waitFor(what: string, ok: () => Promise<boolean>): Promise<void> {
    for (let i = 0; i < 100; i++) {
      if (await ok()) return;
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}; images: ${(await tags()).join(' ')}\n${d.log.slice(-3000)}`);
  }

  test('oldest unused image goes, the one a container uses stays; reported; re-checked after commit', async () => {
    await make('img1');
    await make('img2');
    await make('img3');
    assert.equal((await d.docker(['create', '--name', 'keeper', 'img1', 'true'])).code, 0);
    const layers = (await d.api('GET', '/system/df')).body.LayersSize as number;
    const budget = layers - MiB; // one 2 MiB image must go
    await d.stop();
    await d.spawn(['--disk-budget', String(budget), '--disk-budget-grace', '0']);
    const since = Math.floor(Date.now() / 1000) - 5;

    // The start-up check: img1 is older but in use; busybox is everyone's parent; img2 is the oldest unused.
    await waitFor('img2 to go', async () => !(await tags()).includes('img2:latest'));
    assert.deepEqual(await tags(), ['busybox:latest', 'img1:latest', 'img3:latest']);
    const info = (await d.api('GET', '/info')).body.BerthDiskBudget;
    assert.equal(info.Budget, budget);
    assert.ok(info.Used <= budget, `${info.Used} > ${budget}`);
    assert.ok(info.LastGC.Freed >= 2 * MiB, JSON.stringify(info));
    assert.ok(info.LastGC.Removed >= 1);
    const ev = await d.docker(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'type=daemon', '--format', '{{.Action}} {{index .Actor.Attributes "freed"}} {{index .Actor.Attributes "images"}}']);
    const line = ev.stdout.trim().split('\n').find((l) => l.startsWith('disk-budget '));
    assert.ok(line, ev.stdout + ev.stderr);
    assert.ok(Number(line.split(' ')[1]) >= 2 * MiB, line);
    assert.match(d.log, /disk budget: collected/);
    const df = await d.berth(['system', 'df']);
    assert.match(df.stdout, /\nDisk budget: [\d.]+[kMG]?B of [\d.]+[kMG]?B\n$/);

    // A commit over budget is followed by a check: img3 (older, unused) goes, the new img4 and img1 stay.
    await make('img4');
    await waitFor('img3 to go', async () => !(await tags()).includes('img3:latest'));
    assert.deepEqual(await tags(), ['busybox:latest', 'img1:latest', 'img4:latest']);
    assert.equal((await d.docker(['rm', 'keeper'])).code, 0);
  });
});
