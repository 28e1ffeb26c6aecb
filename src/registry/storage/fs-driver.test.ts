import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { driverContract } from './driver.contract.ts';
import { FsDriver } from './fs-driver.ts';

driverContract('filesystem', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-fsdriver-'));
  return { driver: new FsDriver(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
});
