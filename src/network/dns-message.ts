// The little of RFC 1035 the embedded DNS needs: read a query's header and first question, build an answer with A
// records (or an empty/NXDOMAIN/SERVFAIL reply). Pure.

export const TYPE_A = 1;
export const TYPE_AAAA = 28;
export const CLASS_IN = 1;
export const RCODE_NOERROR = 0;
export const RCODE_SERVFAIL = 2;
export const RCODE_NXDOMAIN = 3;
export const RCODE_NOTIMP = 4;

export interface DnsQuery {
  id: number;
  flags: number;
  name: string;
  type: number;
  klass: number;
  /** Bytes of the question section (echoed in the answer). */
  question: Buffer;
}

/** Parses a query; undefined for anything malformed or not a single-question standard query. */
export function parseQuery(msg: Buffer): DnsQuery | undefined {
  if (msg.length < 12) return undefined;
  const id = msg.readUInt16BE(0);
  const flags = msg.readUInt16BE(2);
  const qd = msg.readUInt16BE(4);
  if (flags & 0x8000 || qd < 1) return undefined; // a response, or no question
  let off = 12;
  const labels: string[] = [];
  for (;;) {
    if (off >= msg.length) return undefined;
    const len = msg[off]!;
    if (len === 0) {
      off++;
      break;
    }
    if (len & 0xc0) return undefined; // no compression in questions we accept
    if (off + 1 + len > msg.length) return undefined;
    labels.push(msg.subarray(off + 1, off + 1 + len).toString('latin1'));
    off += 1 + len;
  }
  if (off + 4 > msg.length) return undefined;
  const type = msg.readUInt16BE(off);
  const klass = msg.readUInt16BE(off + 2);
  return { id, flags, name: labels.join('.'), type, klass, question: msg.subarray(12, off + 4) };
}

export function encodeName(name: string): Buffer {
  const parts = name.split('.').filter(Boolean);
  const bufs = parts.map((p) => {
    const b = Buffer.from(p, 'latin1');
    return Buffer.concat([Buffer.from([b.length]), b]);
  });
  return Buffer.concat([...bufs, Buffer.from([0])]);
}

export function encodeQuery(id: number, name: string, type: number): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(0x0100, 2); // RD
  h.writeUInt16BE(1, 4);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(type, 0);
  q.writeUInt16BE(CLASS_IN, 2);
  return Buffer.concat([h, encodeName(name), q]);
}

/** A reply to `q` with `rcode` and A records for `ips` (the name points back at the question, offset 12). */
export function encodeAnswer(q: DnsQuery, rcode: number, ips: string[] = [], ttl = 600): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(q.id, 0);
  // QR, opcode copied, AA, RD copied, RA.
  h.writeUInt16BE(0x8000 | (q.flags & 0x7800) | 0x0400 | (q.flags & 0x0100) | 0x0080 | (rcode & 0xf), 2);
  h.writeUInt16BE(1, 4);
  h.writeUInt16BE(ips.length, 6);
  const rrs = ips.map((ip) => {
    const rr = Buffer.alloc(16);
    rr.writeUInt16BE(0xc00c, 0);
    rr.writeUInt16BE(TYPE_A, 2);
    rr.writeUInt16BE(CLASS_IN, 4);
    rr.writeUInt32BE(ttl, 6);
    rr.writeUInt16BE(4, 10);
    ip.split('.').forEach((o, i) => (rr[12 + i] = Number(o)));
    return rr;
  });
  return Buffer.concat([h, q.question, ...rrs]);
}

/** The A records of a reply (for tests and diagnostics). */
export function parseAnswerIps(msg: Buffer): { rcode: number; ips: string[] } {
  const rcode = msg.readUInt16BE(2) & 0xf;
  const an = msg.readUInt16BE(6);
  let off = 12;
  // skip the question
  while (msg[off] !== 0) off += (msg[off]! & 0xc0) === 0xc0 ? 1 : msg[off]! + 1;
  off += 5;
  const ips: string[] = [];
  for (let i = 0; i < an; i++) {
    if ((msg[off]! & 0xc0) === 0xc0) off += 2;
    else {
      while (msg[off] !== 0) off += msg[off]! + 1;
      off++;
    }
    const type = msg.readUInt16BE(off);
    const rdlen = msg.readUInt16BE(off + 8);
    if (type === TYPE_A && rdlen === 4) ips.push([...msg.subarray(off + 10, off + 14)].join('.'));
    off += 10 + rdlen;
  }
  return { rcode, ips };
}
