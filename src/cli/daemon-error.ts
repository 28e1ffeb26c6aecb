// How failures from the daemon read on stderr, in docker's words.
import { ApiError, ConnectError } from '../client/engine-client.ts';

export function daemonErrorText(e: unknown): string {
  if (e instanceof ApiError) return `Error response from daemon: ${e.message}`;
  if (e instanceof ConnectError) return e.message;
  return e instanceof Error ? e.message : String(e);
}
