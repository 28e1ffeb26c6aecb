import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile, mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { run } from '../../sys/exec.ts';
import { readTar, type TarHeader } from './tar-reader.ts';
import { TAR_TRAILER, tarHeader, tarPadding } from './tar-writer.ts';

async function collect(tar: Buffer, chunk = tar.length): Promise<{ h: TarHeader; data: string }[]> {
  const out: { h: TarHeader; data: string }[] = [];
  const chunks = async function* () {
    for (let i = 0; i < tar.length; i += chunk) yield tar.subarray(i, i + chunk);
  };
  await readTar(chunks(), async (h, body) => {
    const parts: Buffer[] = [];
    for await (const c of body) parts.push(c);
    out.push({ h, data: Buffer.concat(parts).toString() });
  });
  return out;
}

describe('tar writer', () => {
  it('writes archives GNU tar lists and extracts byte for byte', async () => {
    const dir = await mkdtemp('/var/tmp/berth-tarw-');
    try {
      const payload = Buffer.from('x'.repeat(1000));
      const long = `blobs/sha256/${'a'.repeat(64)}/${'b'.repeat(80)}`;
      const tar = Buffer.concat([
        tarHeader({ name: 'blobs', type: 'dir', mtime: 1700000000 }),
        tarHeader({ name: long, type: 'file', size: payload.length, mtime: 1700000000 }),
        payload,
        tarPadding(payload.length),
        tarHeader({ name: 'manifest.json', type: 'file', size: 2 }),
        Buffer.from('[]'),
        tarPadding(2),
        TAR_TRAILER,
      ]);
      assert.equal(tar.length % 512, 0);
      const list = (await run('tar', ['-tv', '-f', '-'], { input: tar })).stdout.toString();
      assert.match(list, /drwxr-xr-x 0\/0 +0 2023-11-14 \S+ blobs\//);
      assert.match(list, new RegExp(`-rw-r--r-- 0/0 +1000 .* ${long}`));
      await run('tar', ['-x', '-f', '-', '-C', dir], { input: tar });
      assert.deepEqual(await readFile(join(dir, long)), payload);
      assert.equal(await readFile(join(dir, 'manifest.json'), 'utf8'), '[]');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('tar reader', () => {
  it('reads GNU, PAX and ustar archives (long names, links) across any chunking', async () => {
    const dir = await mkdtemp('/var/tmp/berth-tarr-');
    try {
      const deep = `${'d'.repeat(70)}/${'e'.repeat(70)}`;
      await mkdir(join(dir, deep), { recursive: true });
      await writeFile(join(dir, deep, 'f'), 'hello');
      await writeFile(join(dir, 'big'), Buffer.alloc(5000, 0x61));
      await symlink(`d/f`, join(dir, 'link'));
      for (const format of ['gnu', 'pax', 'ustar']) {
        const tar = (await run('tar', ['-c', `--format=${format}`, '--sort=name', '-C', dir, '.'])).stdout;
        for (const chunk of [1, 511, 512, 4096, tar.length]) {
          const got = await collect(tar, chunk);
          const byName = new Map(got.map((e) => [e.h.name, e]));
          assert.equal(byName.get(`${deep}/f`)?.data, 'hello', `${format}/${chunk}`);
          assert.equal(byName.get('big')?.data.length, 5000);
          assert.equal(byName.get('link')?.h.type, '2');
          assert.equal(byName.get('link')?.h.linkname, 'd/f');
          assert.equal(byName.get(deep)?.h.type, '5');
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects non-tar input, bad checksums and truncation with clear errors', async () => {
    await assert.rejects(collect(Buffer.from('hi\n')), /unexpected EOF: the input is not a tar archive/);
    await assert.rejects(collect(Buffer.alloc(2048, 0x41)), /invalid tar header/);
    const good = Buffer.concat([tarHeader({ name: 'a', type: 'file', size: 1000 }), Buffer.alloc(1024, 1), TAR_TRAILER]);
    await assert.rejects(collect(good.subarray(0, 700)), /unexpected EOF/);
    const bad = Buffer.from(good);
    bad[10] = 0x41; // corrupt the name: checksum no longer matches
    await assert.rejects(collect(bad), /invalid tar header/);
    assert.equal((await collect(good)).length, 1);
    // A clean end at a header boundary without the trailer is accepted, like Go's archive/tar.
    assert.equal((await collect(good.subarray(0, 1536))).length, 1);
  });
});
