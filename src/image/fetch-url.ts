// Fetching a rootfs tarball for `docker import URL`: http or https through Node's own clients, redirects followed
// (at most 10), a non-2xx answer is an error carrying the status. The body is returned as a stream; the caller
// decompresses and imports it.

import type { IncomingMessage } from 'node:http';
import { invalidArgument, notFound, BerthError } from '../base/errors.ts';

const MAX_REDIRECTS = 10;

export async function fetchUrl(url: string, opts: { signal?: AbortSignal } = {}): Promise<IncomingMessage> {
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    let u: URL;
    try {
      u = new URL(current);
    } catch {
      throw invalidArgument(`invalid URL: ${current}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalidArgument(`unsupported URL scheme: ${u.protocol}`);
    const mod = u.protocol === 'https:' ? await import('node:https') : await import('node:http');
    const res = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = mod.get(u, { signal: opts.signal, headers: { 'User-Agent': 'berth' } }, resolve);
      req.on('error', (e) => reject(new BerthError('internal', 'fetch_failed', `Get "${current}": ${e.message}`)));
    });
    const status = res.statusCode ?? 0;
    if (status >= 300 && status < 400 && res.headers.location) {
      res.resume();
      current = new URL(res.headers.location, u).toString();
      continue;
    }
    if (status < 200 || status >= 300) {
      res.resume();
      const msg = `Get "${current}": unexpected status ${status} ${res.statusMessage ?? ''}`.trim();
      throw status === 404 ? notFound(msg, 'url_not_found') : new BerthError('internal', 'fetch_failed', msg);
    }
    return res;
  }
  throw invalidArgument(`Get "${url}": stopped after ${MAX_REDIRECTS} redirects`);
}
