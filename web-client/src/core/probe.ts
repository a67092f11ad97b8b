import type { ProbeResult, Prober } from './types.ts';

/**
 * A browser EventSource cannot read the status of a failed open, so the manager asks again
 * with fetch: same URL, same credentials, aborted as soon as a 200's headers arrive (an
 * error answer's small JSON body is read first). Status 0 means no HTTP answer at all.
 */
export function createFetchProber(fetchFn: typeof fetch = globalThis.fetch): Prober {
  return async (url, withCredentials) => {
    const controller = new AbortController();
    try {
      const res = await fetchFn(url, {
        credentials: withCredentials ? 'include' : 'same-origin',
        headers: { Accept: 'text/event-stream' },
        cache: 'no-store',
        signal: controller.signal,
      });
      if (res.ok) {
        controller.abort();
        return { status: res.status, body: null, retryAfterMs: null };
      }
      return { status: res.status, body: await readJson(res), retryAfterMs: retryAfter(res) };
    } catch {
      return { status: 0, body: null, retryAfterMs: null };
    } finally {
      controller.abort();
    }
  };
}

async function readJson(res: Response): Promise<unknown> {
  try {
    return JSON.parse(await res.text());
  } catch {
    return null;
  }
}

function retryAfter(res: Response): number | null {
  const v = res.headers.get('Retry-After');
  if (v === null) return null;
  const seconds = Number(v);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : null;
}
