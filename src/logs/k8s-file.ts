// conmon's k8s-file (CRI) log format, one entry per line:
//   2026-11-23T17:07:55.052683789+00:00 stdout F hello
// timestamp (RFC3339Nano, numeric offset), stream, tag, text. Tag F = the text ended with a newline
// that is not stored; P = a chunk still waiting for its newline. CRI allows more ':'-separated tags
// after the first, so only the first one is significant.
import { formatDockerTime, parseRfc3339Nano } from './docker-timestamp.ts';

export interface LogEntry {
  stream: 'stdout' | 'stderr';
  /** The text, plus '\n' when the entry was F (full); no newline for P (partial). */
  data: Buffer;
  /** Docker RFC3339Nano in UTC, e.g. '2026-11-23T17:07:55.052683789Z'. */
  time: string;
  /** Unix nanoseconds, for since/until comparisons. */
  timeNs: bigint;
}

const SPACE = 0x20;
const NEWLINE = 0x0a;
const NL = Buffer.from('\n');

/** Parses one line (with or without its '\n'); null when malformed, never throws. */
export function parseK8sLine(line: string | Buffer): LogEntry | null {
  // Work on bytes: container output need not be valid UTF-8 and must pass through untouched.
  const buf = typeof line === 'string' ? Buffer.from(line) : line;
  let end = buf.length;
  if (end > 0 && buf[end - 1] === NEWLINE) end--;

  const s1 = buf.indexOf(SPACE);
  if (s1 <= 0 || s1 >= end) return null;
  const s2 = buf.indexOf(SPACE, s1 + 1);
  if (s2 < 0 || s2 >= end) return null;
  let s3 = buf.indexOf(SPACE, s2 + 1);
  if (s3 < 0 || s3 > end) s3 = end; // an empty text may be written without the separator

  const timeNs = parseRfc3339Nano(buf.toString('latin1', 0, s1));
  if (timeNs === null) return null;
  const stream = buf.toString('latin1', s1 + 1, s2);
  if (stream !== 'stdout' && stream !== 'stderr') return null;
  const tag = buf.toString('latin1', s2 + 1, s3).split(':')[0];
  if (tag !== 'F' && tag !== 'P') return null;

  const text = buf.subarray(Math.min(s3 + 1, end), end);
  // Copy so an entry never pins the (large) read buffer it came from.
  const data = tag === 'F' ? Buffer.concat([text, NL]) : Buffer.from(text);
  return { stream, data, time: formatDockerTime(timeNs), timeNs };
}
