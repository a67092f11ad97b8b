import type { Topic } from './types.ts';

/** A broadcast name as the server accepts it (SPEC §8). */
export const BROADCAST_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Why a publish failed: `invalid-name` (refused before sending), `network` (no HTTP answer,
 * status 0) or `http` (the server's answer: 400 malformed / bad name / kind without broadcast,
 * 401, 403 topic denied, 413 data too large, 429 over the rate with `retryAfterMs`).
 */
export class PublishError extends Error {
  override readonly name = 'PublishError';

  constructor(
    readonly kind: 'invalid-name' | 'network' | 'http',
    readonly status: number,
    /** The JSON body of the answer (`{"error": …}`), or null. */
    readonly body: unknown,
    /** From `Retry-After` (429), in ms; null when absent. */
    readonly retryAfterMs: number | null,
    message: string,
  ) {
    super(message);
  }
}

export interface PublisherOptions {
  /** The stream URL; its `access_token` query parameter, if any, is sent along. */
  streamUrl: string;
  /** Default: the stream URL's origin + `/api/sse/broadcast` (same origin for a relative URL). */
  broadcastUrl?: string;
  /** Like the stream: `credentials: 'include'` when true, else `same-origin`. */
  withCredentials: boolean;
  fetch?: typeof fetch;
}

export type Publish = (topic: Topic, name: string, data?: unknown) => Promise<{ delivered: string }>;

/**
 * A publish function for ephemeral events: `POST <broadcastUrl>` with `{"topic","name","data"}`
 * and the stream's credentials. Resolves on 2xx (202 `{"delivered":"queued"}`: at most once,
 * no acknowledgement from receivers), rejects with a PublishError otherwise. Needs no stream.
 */
export function createPublisher(options: PublisherOptions): Publish {
  const url = broadcastUrlOf(options);
  const fetchFn = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return async (topic, name, data = null) => {
    if (!BROADCAST_NAME.test(name)) {
      throw new PublishError('invalid-name', 0, null, null, `deltacast: invalid broadcast name ${JSON.stringify(name)}`);
    }
    let res: Response;
    try {
      res = await fetchFn(url, {
        method: 'POST',
        credentials: options.withCredentials ? 'include' : 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ topic, name, data }),
        cache: 'no-store',
      });
    } catch (error) {
      throw new PublishError('network', 0, null, null, `deltacast: publish failed: ${String(error)}`);
    }
    const body = await readJson(res);
    if (res.ok) return (body ?? { delivered: 'queued' }) as { delivered: string };
    const retryAfterMs = retryAfter(res.headers.get('Retry-After'));
    const error = (body as { error?: unknown } | null)?.error;
    const why = typeof error === 'string' ? `: ${error}` : '';
    throw new PublishError('http', res.status, body, retryAfterMs, `deltacast: publish HTTP ${res.status}${why}`);
  };
}

/** The default or configured broadcast URL, with the stream URL's `access_token` appended. */
export function broadcastUrlOf(options: Pick<PublisherOptions, 'streamUrl' | 'broadcastUrl'>): string {
  const stream = parse(options.streamUrl);
  const base = options.broadcastUrl ?? `${stream?.absolute ? stream.url.origin : ''}/api/sse/broadcast`;
  const token = stream?.url.searchParams.get('access_token');
  if (token === null || token === undefined) return base;
  return `${base}${base.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}`;
}

function parse(url: string): { url: URL; absolute: boolean } | null {
  try {
    return { url: new URL(url), absolute: true };
  } catch {
    try {
      return { url: new URL(url, 'http://relative.invalid'), absolute: false }; // same origin
    } catch {
      return null;
    }
  }
}

async function readJson(res: Response): Promise<unknown> {
  try {
    const text = await res.text();
    return text === '' ? null : JSON.parse(text);
  } catch {
    return null;
  }
}

function retryAfter(value: string | null): number | null {
  if (value === null) return null;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : null;
}
