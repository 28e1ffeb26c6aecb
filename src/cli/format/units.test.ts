import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bytesSize,
  containerStatusText,
  createdAgo,
  fromHumanSize,
  humanDuration,
  humanSize,
  ramInBytes,
} from './units.ts';
import { isBerthError } from '../../base/errors.ts';

test('humanSize uses decimal units and 4 significant digits', () => {
  const cases: [number, string][] = [
    [0, '0B'],
    [999, '999B'],
    [1000, '1kB'],
    [1234, '1.234kB'],
    [5_500_000, '5.5MB'],
    [1_048_576, '1.049MB'],
    [999_960, '1000kB'],
    [3.2e12, '3.2TB'],
  ];
  for (const [n, want] of cases) assert.equal(humanSize(n), want, String(n));
});

test('bytesSize uses binary units', () => {
  assert.equal(bytesSize(0), '0B');
  assert.equal(bytesSize(1536), '1.5KiB');
  assert.equal(bytesSize(512 * 1024 * 1024), '512MiB');
  assert.equal(bytesSize(1023), '1023B');
  assert.equal(bytesSize(5 * 1024 ** 3), '5GiB');
});

test('humanDuration follows go-units thresholds', () => {
  const s = 1000;
  const m = 60 * s;
  const h = 60 * m;
  const d = 24 * h;
  const cases: [number, string][] = [
    [0, 'Less than a second'],
    [999, 'Less than a second'],
    [1 * s, '1 second'],
    [59 * s, '59 seconds'],
    [60 * s, 'About a minute'],
    [119 * s, 'About a minute'],
    [2 * m, '2 minutes'],
    [59 * m, '59 minutes'],
    [60 * m, 'About an hour'],
    [89 * m, 'About an hour'],
    [90 * m, '2 hours'],
    [47 * h, '47 hours'],
    [48 * h, '2 days'],
    [13 * d, '13 days'],
    [14 * d, '2 weeks'],
    [59 * d, '8 weeks'],
    [60 * d, '2 months'],
    [729 * d, '24 months'],
    [730 * d, '2 years'],
  ];
  for (const [ms, want] of cases) assert.equal(humanDuration(ms), want, String(ms));
});

test('ramInBytes and fromHumanSize parse like go-units', () => {
  assert.equal(ramInBytes('512m'), 512 * 1024 ** 2);
  assert.equal(ramInBytes('1g'), 1024 ** 3);
  assert.equal(ramInBytes('1.5GB'), 1.5 * 1024 ** 3);
  assert.equal(ramInBytes('2 KiB'), 2048);
  assert.equal(ramInBytes('10'), 10);
  assert.equal(ramInBytes('10b'), 10);
  assert.equal(fromHumanSize('1.5GB'), 1.5e9);
  assert.equal(fromHumanSize('10k'), 10_000);
  for (const bad of ['', 'm', '1x', '1kbb', '1mi', '1.2.3m', '-1m', '1bb']) {
    assert.throws(() => ramInBytes(bad), (e) => isBerthError(e, 'invalid_argument'), bad);
  }
});

test('containerStatusText words states like docker ps', () => {
  const now = new Date('2024-01-01T12:00:00Z');
  const base = {
    Status: 'running',
    Running: true,
    Paused: false,
    Restarting: false,
    ExitCode: 0,
    StartedAt: '2024-01-01T11:59:55Z',
    FinishedAt: '0001-01-01T00:00:00Z',
  };
  assert.equal(containerStatusText(base, now), 'Up 5 seconds');
  assert.equal(
    containerStatusText({ ...base, Status: 'paused', Paused: true, StartedAt: '2024-01-01T11:58:00Z' }, now),
    'Up 2 minutes (Paused)',
  );
  assert.equal(
    containerStatusText({ ...base, StartedAt: '2024-01-01T09:00:00Z', Health: { Status: 'healthy' } }, now),
    'Up 3 hours (healthy)',
  );
  assert.equal(containerStatusText({ ...base, Health: { Status: 'starting' } }, now), 'Up 5 seconds (health: starting)');
  const exited = { ...base, Status: 'exited', Running: false, FinishedAt: '2024-01-01T11:59:55Z' };
  assert.equal(containerStatusText(exited, now), 'Exited (0) 5 seconds ago');
  assert.equal(
    containerStatusText({ ...base, Status: 'created', Running: false, StartedAt: '0001-01-01T00:00:00Z' }, now),
    'Created',
  );
  assert.equal(
    containerStatusText({ ...exited, Status: 'restarting', Restarting: true, ExitCode: 1, FinishedAt: '2024-01-01T11:59:58Z' }, now),
    'Restarting (1) 2 seconds ago',
  );
  assert.equal(containerStatusText({ ...exited, Status: 'dead' }, now), 'Dead');
  assert.equal(containerStatusText({ ...exited, Status: 'removing' }, now), 'Removal In Progress');
});

test('createdAgo', () => {
  const now = new Date(1_700_000_000_000);
  assert.equal(createdAgo(1_700_000_000 - 5, now), '5 seconds ago');
  assert.equal(createdAgo(1_700_000_000 - 70, now), 'About a minute ago');
});
