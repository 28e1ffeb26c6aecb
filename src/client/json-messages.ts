// Newline-delimited JSON progress messages (pull, import, load): parse them and surface the first error.
import type { JsonMessage } from '../spec/docker-api.ts';

export async function* jsonMessages(source: AsyncIterable<Buffer | string>): AsyncGenerator<JsonMessage> {
  let rest = '';
  const decoder = new TextDecoder();
  for await (const chunk of source) {
    rest += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, nl).trim();
      rest = rest.slice(nl + 1);
      if (line) yield JSON.parse(line) as JsonMessage;
    }
  }
  rest += decoder.decode();
  if (rest.trim()) yield JSON.parse(rest.trim()) as JsonMessage;
}

/** An error reported inside a 200 progress stream. */
export class JsonMessageError extends Error {}

/** Drains a progress stream, calling onMessage for each, and throws the first error message. */
export async function consumeJsonMessages(
  source: AsyncIterable<Buffer | string>,
  onMessage?: (m: JsonMessage) => void,
): Promise<JsonMessage[]> {
  const all: JsonMessage[] = [];
  for await (const m of jsonMessages(source)) {
    if (m.errorDetail || m.error) throw new JsonMessageError(m.errorDetail?.message ?? m.error ?? 'unknown error');
    all.push(m);
    onMessage?.(m);
  }
  return all;
}
