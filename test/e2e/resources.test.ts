// Resource limits: OOM kill (OOMKilled, 137, oom event), pids limit, docker update on a running container, bad input.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Daemon, isRoot, runCmd, sleep, waitFor } from './harness.ts';

describe('resources', { skip: !isRoot() && 'needs root' }, () => {
  let d: Daemon;
  before(async () => {
    d = await Daemon.start();
    assert.equal((await d.berth(['bootstrap', 'busybox'])).code, 0);
  });
  after(async () => {
    await d?.destroy();
  });

  const cgroupFile = (ctrl: string, id: string, file: string) => `/sys/fs/cgroup/${ctrl}${d.cgroupParent}/${id}/${file}`;

  test('OOM: 32 MiB limit, 64 MiB allocation → OOMKilled, exit 137, oom event', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const r = await d.docker(['run', '--name', 'oom', '-m', '32m', '--memory-swap', '32m', 'busybox', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1']);
    assert.equal(r.code, 137, r.stderr);
    const st = await d.docker(['inspect', '-f', '{{.State.OOMKilled}} {{.State.ExitCode}}', 'oom']);
    assert.equal(st.stdout.trim(), 'true 137');
    const ev = await d.docker(['events', '--since', String(since), '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'container=oom', '--format', '{{.Action}}']);
    assert.match(ev.stdout, /^oom$/m);
    assert.match(ev.stdout, /^die$/m);
    await d.docker(['rm', 'oom']);
  });

  test('--pids-limit 20 contains a fork bomb; the container survives', async () => {
    const r = await d.docker(['run', '-d', '--name', 'pids', '--pids-limit', '20', 'busybox', 'sleep', '300']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.equal((await readFile(cgroupFile('pids', id, 'pids.max'), 'utf8')).trim(), '20');
    // Start far more processes than allowed; forks beyond the limit fail with EAGAIN.
    const bomb = await d.docker(['exec', 'pids', 'sh', '-c', 'for i in $(seq 1 60); do sleep 30 & done; wait'], { timeoutMs: 60_000 });
    assert.notEqual(bomb.code, 0);
    const current = Number((await readFile(cgroupFile('pids', id, 'pids.current'), 'utf8')).trim());
    assert.ok(current <= 20, `pids.current ${current}`);
    const events = await readFile(cgroupFile('pids', id, 'pids.events'), 'utf8');
    assert.match(events, /max [1-9]/);
    const st = await d.docker(['inspect', '-f', '{{.State.Running}}', 'pids']);
    assert.equal(st.stdout.trim(), 'true');
    await d.docker(['rm', '-f', 'pids']);
  });

  test('docker update changes a running container’s cgroup and persists', async () => {
    const r = await d.docker(['run', '-d', '--name', 'upd', '-m', '64m', 'busybox', 'sleep', '300']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    assert.equal((await readFile(cgroupFile('memory', id, 'memory.limit_in_bytes'), 'utf8')).trim(), String(64 * 1024 * 1024));
    const u = await d.docker(['update', '-m', '96m', '--cpus', '0.5', '--pids-limit', '50', 'upd']);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(u.stdout.trim(), 'upd');
    assert.equal((await readFile(cgroupFile('memory', id, 'memory.limit_in_bytes'), 'utf8')).trim(), String(96 * 1024 * 1024));
    assert.equal((await readFile(cgroupFile('cpu', id, 'cpu.cfs_quota_us'), 'utf8')).trim(), '50000');
    assert.equal((await readFile(cgroupFile('pids', id, 'pids.max'), 'utf8')).trim(), '50');
    const hc = await d.docker(['inspect', '-f', '{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.PidsLimit}}', 'upd']);
    assert.equal(hc.stdout.trim(), `${96 * 1024 * 1024} 500000000 50`);
    // berth update with docker's flags; too much memory for the swap allowance is refused like dockerd.
    const b = await d.berth(['update', '--restart', 'on-failure:3', 'upd']);
    assert.equal(b.code, 0, b.stderr);
    assert.equal((await d.docker(['inspect', '-f', '{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}', 'upd'])).stdout.trim(), 'on-failure:3');
    const big = await d.docker(['update', '-m', '1g', 'upd']);
    assert.notEqual(big.code, 0);
    assert.match(big.stderr, /Cannot update container [0-9a-f]{64}: Conflicting options: Memory limit should be smaller than already set memoryswap limit/);
    // Survives a daemon restart (persisted in the record).
    await d.stop();
    await d.spawn();
    const again = await d.docker(['inspect', '-f', '{{.HostConfig.Memory}}', 'upd']);
    assert.equal(again.stdout.trim(), String(96 * 1024 * 1024));
    await d.docker(['rm', '-f', 'upd']);
  });

  test('bad limits are refused with Docker’s messages', async () => {
    const cases: [string[], RegExp][] = [
      [['-m', '1k'], /Minimum memory limit allowed is 6MB/],
      [['--cpus', '-1'], /Range of CPUs is from 0\.01 to \d+\.00, as there are only \d+ CPUs available/],
      [['--cpuset-cpus', '99'], /Requested CPUs are not available - requested 99, available: /],
      [['--blkio-weight', '300'], /does not support Block I\/O weight.*no blkio\.weight/],
      [['-m', '64m', '--memory-swap', '32m'], /Minimum memoryswap limit should be larger than memory limit/],
      [['--device-read-bps', '/dev/nope:1mb'], /stat \/dev\/nope: no such file or directory/],
    ];
    for (const [flags, re] of cases) {
      for (const cli of ['docker', 'berth'] as const) {
        const r = await d[cli](['run', '--rm', ...flags, 'busybox', 'true']);
        // docker run turns any "no such file or directory" into 127.
        assert.ok(r.code === 125 || (r.code === 127 && /no such file/.test(r.stderr)), `${cli} ${flags.join(' ')}: ${r.code} ${r.stderr}`);
        assert.match(r.stderr, re, `${cli} ${flags.join(' ')}`);
      }
    }
  });

  test('--device-read-bps throttles the device in blkio', async () => {
    const dev = await runCmd('stat', ['-c', '%t:%T', '/dev/vda']).catch(() => null);
    if (!dev || dev.code !== 0) return;
    const [maj, min] = dev.stdout.trim().split(':').map((h) => parseInt(h, 16));
    const r = await d.docker(['run', '-d', '--name', 'bps', '--device-read-bps', '/dev/vda:1mb', 'busybox', 'sleep', '60']);
    assert.equal(r.code, 0, r.stderr);
    const id = r.stdout.trim();
    const text = await waitFor(async () => (await readFile(cgroupFile('blkio', id, 'blkio.throttle.read_bps_device'), 'utf8')).trim() || false, 'blkio file');
    assert.equal(text, `${maj}:${min} 1048576`);
    await d.docker(['rm', '-f', 'bps']);
    await sleep(10);
  });
});
