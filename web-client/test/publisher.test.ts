import { describe, expect, it } from 'vitest';
import { broadcastUrlOf, createPublisher, PublishError, StreamManager } from '../src/core/index.ts';

interface Call {
  url: string;
  init: RequestInit;
}

/** A fetch that records each request and answers `status` with `body` and `headers`. */
function fakeFetch(status: number, body: unknown, headers: Record<string, string> = {}) {
  const calls: Call[] = [];
  const fn = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return new Response(body === undefined ? null : JSON.stringify(body), { status, headers });
  }) as unknown as typeof fetch;
  return { calls, fn };
}

async function failure(p: Promise<unknown>): Promise<PublishError> {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PublishError);
  return error as PublishError;
}

describe('publish', () => {
  it('POSTs {topic,name,data} as JSON to /api/sse/broadcast of the stream origin and resolves on 202', async () => {
    // Invariant: one request per publish, with the body and credentials of SPEC §8.
    const f = fakeFetch(202, { delivered: 'queued' });
    const publish = createPublisher({ streamUrl: '/api/sse/stream', withCredentials: false, fetch: f.fn });
    await expect(publish('chat:42', 'typing', { state: 'start' })).resolves.toEqual({ delivered: 'queued' });
    expect(f.calls).toHaveLength(1);
    const { url, init } = f.calls[0]!;
    expect(url).toBe('/api/sse/broadcast');
    expect(init.method).toBe('POST');
    expect(init.credentials).toBe('same-origin');
    expect(JSON.parse(String(init.body))).toEqual({ topic: 'chat:42', name: 'typing', data: { state: 'start' } });
    expect((init.headers as Record<string, string>)['Content-Type']).toBe('application/json');
  });

  it('uses the credentials and access_token of the stream, and a configured URL', async () => {
    // Invariant: a publish is authenticated like the stream it belongs to.
    expect(broadcastUrlOf({ streamUrl: 'https://rt.example.com/api/sse/stream?access_token=a%2Bb&x=1' })).toBe(
      'https://rt.example.com/api/sse/broadcast?access_token=a%2Bb',
    );
    expect(broadcastUrlOf({ streamUrl: '/sse', broadcastUrl: '/rt/publish?v=1' })).toBe('/rt/publish?v=1');
    const f = fakeFetch(202, { delivered: 'queued' });
    const m = new StreamManager({
      url: 'https://rt.example.com/api/sse/stream',
      withCredentials: true,
      share: false,
      fetch: f.fn,
    });
    await m.publish('chat:1', 'thinking', null);
    expect(f.calls.map((c) => [c.url, c.init.credentials])).toEqual([['https://rt.example.com/api/sse/broadcast', 'include']]);
  });

  it('rejects with status, body and retryAfterMs for every error answer', async () => {
    // Invariant: 400/401/403/413/429 reach the caller typed, 429 with its Retry-After.
    for (const status of [400, 401, 403, 413]) {
      const f = fakeFetch(status, { error: `e${status}`, topic: 'chat:1' });
      const publish = createPublisher({ streamUrl: '/s', withCredentials: false, fetch: f.fn });
      const e = await failure(publish('chat:1', 'n', 1));
      expect([e.kind, e.status, e.retryAfterMs]).toEqual(['http', status, null]);
      expect(e.body).toEqual({ error: `e${status}`, topic: 'chat:1' });
      expect(e.message).toContain(`e${status}`);
    }
    const limited = fakeFetch(429, { error: 'rate limited' }, { 'Retry-After': '2' });
    const publishLimited = createPublisher({ streamUrl: '/s', withCredentials: false, fetch: limited.fn });
    const e = await failure(publishLimited('chat:1', 'n'));
    expect([e.status, e.retryAfterMs]).toEqual([429, 2000]);
  });

  it('rejects a network failure as status 0, and an invalid name without sending', async () => {
    // Invariant: the name rule of SPEC §8 is enforced client-side too.
    const broken = (async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch;
    const publishBroken = createPublisher({ streamUrl: '/s', withCredentials: false, fetch: broken });
    const net = await failure(publishBroken('chat:1', 'n'));
    expect([net.kind, net.status]).toEqual(['network', 0]);
    const f = fakeFetch(202, {});
    const publish = createPublisher({ streamUrl: '/s', withCredentials: false, fetch: f.fn });
    for (const name of ['', 'has space', 'x'.repeat(65), 'ünï', 'a/b']) {
      expect((await failure(publish('chat:1', name))).kind).toBe('invalid-name');
    }
    await publish('chat:1', `Az09_.:-${'x'.repeat(56)}`);
    expect(f.calls).toHaveLength(1);
  });
});
