// Finds where the last N log entries of a file begin by reading backwards from the end in chunks,
// so `--tail` on a large live file costs O(tail), not O(file).
import type { FileHandle } from 'node:fs/promises';
import { parseK8sLine } from './k8s-file.ts';

const CHUNK = 64 * 1024;
const NEWLINE = 0x0a;

interface Segment {
  /** File offset where the line starts. */
  start: number;
  /** The line without its '\n'. */
  line: Buffer;
  /** The piece after the last '\n' (empty when the file ends with a newline). */
  trailing: boolean;
}

async function* segmentsBackward(fh: FileHandle, end: number): AsyncGenerator<Segment> {
  let pos = end;
  let carry: Buffer = Buffer.alloc(0);
  let trailing = true;
  while (pos > 0) {
    const size = Math.min(CHUNK, pos);
    pos -= size;
    const chunk = Buffer.alloc(size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await fh.read(chunk, got, size - got, pos + got);
      if (bytesRead === 0) break; // shrank under us; the zero bytes never parse as an entry
      got += bytesRead;
    }
    const buf = carry.length > 0 ? Buffer.concat([chunk, carry]) : chunk;
    let idx = buf.length;
    while (idx > 0) {
      const nl = buf.lastIndexOf(NEWLINE, idx - 1);
      if (nl < 0) break;
      yield { start: pos + nl + 1, line: buf.subarray(nl + 1, idx), trailing };
      trailing = false;
      idx = nl;
    }
    carry = buf.subarray(0, idx);
  }
  yield { start: 0, line: carry, trailing };
}

export interface TailScanResult {
  /** Entries found (≤ need). */
  count: number;
  /** Offset of the first of them; 0 when the whole file had fewer than `need`. */
  start: number;
}

/**
 * Scans [0, end) backwards for the last `need` parseable entries. With `skipTrailing`, an
 * unterminated last line (a writer mid-write) is neither counted nor included.
 */
export async function scanTail(
  fh: FileHandle,
  end: number,
  opts: { need: number; skipTrailing: boolean },
): Promise<TailScanResult> {
  let count = 0;
  let boundary = end;
  for await (const seg of segmentsBackward(fh, end)) {
    if (seg.trailing && opts.skipTrailing) {
      boundary = seg.start;
      continue;
    }
    if (count >= opts.need) break;
    if (parseK8sLine(seg.line) !== null) count++;
    boundary = seg.start;
  }
  return { count, start: boundary };
}
