import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { run } from '../../sys/exec.ts';
import { TarScanner, type TarEntryInfo } from './tar-scan.ts';

describe('TarScanner', () => {
  it('reports names in gnu, pax and ustar archives, long names included, across any chunking', async () => {
    const dir = await mkdtemp('/var/tmp/berth-tarscan-test-');
    try {
      const deep = 'd'.repeat(60) + '/' + 'e'.repeat(60);
      await mkdir(join(dir, deep), { recursive: true });
      await writeFile(join(dir, deep, '.wh.' + 'f'.repeat(90)), '');
      await writeFile(join(dir, 'big'), Buffer.alloc(5000, 1));
      await writeFile(join(dir, 'ünï cødé'), 'x');
      const want = ['big', 'dddd', `${deep}`, `${deep}/.wh.${'f'.repeat(90)}`, 'ünï cødé'];
      for (const format of ['gnu', 'pax', 'ustar']) {
        const tar = (await run('tar', ['-c', `--format=${format}`, '--sort=name', '-C', dir, '.'])).stdout;
        for (const chunk of [1, 511, 512, 4096, tar.length]) {
          const seen: TarEntryInfo[] = [];
          const s = new TarScanner((e) => seen.push(e));
          for (let i = 0; i < tar.length; i += chunk) s.write(tar.subarray(i, i + chunk));
          const names = seen.map((e) => e.name).filter((n) => n !== '');
          assert.ok(names.includes(want[0]!), `${format}/${chunk}: ${names}`);
          assert.ok(names.includes(want[3]!), `${format}/${chunk}: ${names}`);
          assert.ok(names.includes(want[4]!), `${format}/${chunk}: ${names}`);
          assert.equal(seen.find((e) => e.name === 'big')?.type, '0');
          assert.equal(seen.find((e) => e.name === deep)?.type, '5');
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
