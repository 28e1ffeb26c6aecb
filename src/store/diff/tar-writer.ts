// Tar headers for the archives Berth writes itself (layer tars built from a diff, where entries are synthesized:
// whiteouts, selected paths). ustar headers, preceded by a PAX extended header when a field does not fit or the entry
// carries xattrs (SCHILY.xattr.*, as GNU tar and Docker write them).

export type TarType = '0' | '1' | '2' | '3' | '4' | '5' | '6';

export interface TarHeader {
  /** Relative name without a leading "/" or "./"; directories get their trailing "/" here. */
  name: string;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch (fractions go into PAX mtime when a PAX header is written anyway). */
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Record<string, Buffer>;
}

const BLOCK = 512;
export const TAR_END = Buffer.alloc(BLOCK * 2);

export function tarPadding(size: number): Buffer {
  const rem = size % BLOCK;
  return Buffer.alloc(rem === 0 ? 0 : BLOCK - rem);
}

function fitsOctal(value: number, width: number): boolean {
  return value >= 0 && value < 8 ** (width - 1);
}

function writeOctal(buf: Buffer, offset: number, width: number, value: number): void {
  const v = fitsOctal(value, width) ? value : 0;
  buf.write(Math.floor(v).toString(8).padStart(width - 1, '0') + '\0', offset, width, 'latin1');
}

function writeString(buf: Buffer, offset: number, width: number, s: string): void {
  const b = Buffer.from(s, 'utf8');
  b.copy(buf, offset, 0, Math.min(b.length, width));
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function ustar(h: TarHeader, name: string, linkname: string, size: number): Buffer {
  const buf = Buffer.alloc(BLOCK);
  writeString(buf, 0, 100, name);
  writeOctal(buf, 100, 8, h.mode & 0o7777);
  writeOctal(buf, 108, 8, h.uid);
  writeOctal(buf, 116, 8, h.gid);
  writeOctal(buf, 124, 12, size);
  writeOctal(buf, 136, 12, Math.floor(h.mtime));
  buf.write('        ', 148, 8, 'latin1');
  buf.write(h.type, 156, 1, 'latin1');
  writeString(buf, 157, 100, linkname);
  buf.write('ustar\x0000', 257, 8, 'latin1');
  writeOctal(buf, 329, 8, h.devmajor ?? 0);
  writeOctal(buf, 337, 8, h.devminor ?? 0);
  let sum = 0;
  for (const b of buf) sum += b;
  buf.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return buf;
}

/** Header block(s) for one entry; the caller writes `size` bytes of data and tarPadding(size) after it. */
export function encodeTarHeader(h: TarHeader): Buffer {
  const records: Buffer[] = [];
  const nameBytes = Buffer.byteLength(h.name);
  const ascii = (s: string) => /^[\x20-\x7e]*$/.test(s);
  if (nameBytes > 100 || !ascii(h.name)) records.push(paxRecord('path', Buffer.from(h.name)));
  const link = h.linkname ?? '';
  if (Buffer.byteLength(link) > 100 || !ascii(link)) records.push(paxRecord('linkpath', Buffer.from(link)));
  if (!fitsOctal(h.size, 12)) records.push(paxRecord('size', Buffer.from(String(h.size))));
  if (!fitsOctal(h.uid, 8)) records.push(paxRecord('uid', Buffer.from(String(h.uid))));
  if (!fitsOctal(h.gid, 8)) records.push(paxRecord('gid', Buffer.from(String(h.gid))));
  for (const [k, v] of Object.entries(h.xattrs ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    records.push(paxRecord(`SCHILY.xattr.${k}`, v));
  }
  const main = ustar(h, h.name, link, h.size);
  if (records.length === 0) return main;
  const data = Buffer.concat(records);
  const paxName = `PaxHeaders/${h.name.replace(/\/$/, '').split('/').pop()!.slice(0, 80)}`;
  const pax = ustar({ name: paxName, type: '0', mode: 0o644, uid: 0, gid: 0, size: data.length, mtime: h.mtime }, paxName, '', data.length);
  pax.write('x', 156, 1, 'latin1');
  // Recompute the checksum after changing the type flag.
  pax.write('        ', 148, 8, 'latin1');
  let sum = 0;
  for (const b of pax) sum += b;
  pax.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return Buffer.concat([pax, data, tarPadding(data.length), main]);
}
