import { describe, expect, it } from 'vitest';
import { Backoff, createFetchProber, normalizeTopics } from '../src/core/index.ts';

describe('Backoff', () => {
  it('stays within [ceiling/2, ceiling] and caps at maxMs', () => {
    // Invariant: jitter never makes a retry immediate nor longer than the cap.
    const low = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
    const high = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0.99999 });
    const lows = Array.from({ length: 6 }, () => low.next());
    const highs = Array.from({ length: 6 }, () => high.next());
    expect(lows).toEqual([50, 100, 200, 400, 500, 500]);
    expect(highs).toEqual([100, 200, 400, 800, 1000, 1000]);
  });

  it('honours a floor such as Retry-After', () => {
    // Invariant: the server's Retry-After is a lower bound on the delay.
    expect(new Backoff({ baseMs: 100, random: () => 0 }).next(3000)).toBe(3000);
  });
});

describe('normalizeTopics', () => {
  it('drops blanks and duplicates and rejects commas', () => {
    // Invariant: the topic list sent to the server has no empty or duplicate entry.
    expect(normalizeTopics([' chat:1', 'chat:1', '', 'org:2'])).toEqual(['chat:1', 'org:2']);
    expect(normalizeTopics(null)).toEqual([]);
    expect(() => normalizeTopics(['a:1,b:2'])).toThrow(/comma/);
  });
});

describe('createFetchProber', () => {
  function fakeFetch(res: Response | Error, seen: RequestInit[] = []): typeof fetch {
    return async (_url, init) => {
      seen.push(init ?? {});
      if (res instanceof Error) throw res;
      return res;
    };
  }

  it('reads the JSON body and Retry-After of an error answer', async () => {
    // Invariant: the status and reason of a failed open reach the manager.
    const seen: RequestInit[] = [];
    const probe = createFetchProber(
      fakeFetch(new Response('{"error":"busy"}', { status: 503, headers: { 'Retry-After': '3' } }), seen),
    );
    expect(await probe('/s?topics=a:1', true)).toEqual({
      status: 503,
      body: { error: 'busy' },
      retryAfterMs: 3000,
    });
    expect(seen[0]?.credentials).toBe('include');
  });

  it('aborts a 200 at once and reports a network failure as status 0', async () => {
    // Invariant: the probe never keeps a stream open; no answer is not an HTTP status.
    const seen: RequestInit[] = [];
    const ok = createFetchProber(fakeFetch(new Response('retry: 1\n\n', { status: 200 }), seen));
    expect((await ok('/s', false)).status).toBe(200);
    expect(seen[0]?.signal?.aborted).toBe(true);
    const down = createFetchProber(fakeFetch(new TypeError('Failed to fetch')));
    expect(await down('/s', false)).toEqual({ status: 0, body: null, retryAfterMs: null });
  });
});
