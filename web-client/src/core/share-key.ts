/**
 * The name under which tabs share one stream (their Web Lock and BroadcastChannel name).
 * Tabs share only when every part is equal:
 * - the stream URL as the EventSource requests it: resolved against the page (origin, path and
 *   any query the app put in it, e.g. an `access_token`, so a token in the URL is part of it);
 * - `withCredentials` (cookies sent cross-origin or not);
 * - the app's user key (`share: { key }`), when given.
 * Tabs of one browser profile share cookies, so with cookie auth every tab of an origin is the
 * same user and no key is needed; an app whose tabs can be different users without different
 * cookies (e.g. per-tab tokens in a header) must pass the user as key.
 */
export function shareName(url: string, withCredentials: boolean, userKey: string | undefined): string {
  const parts = [resolveStreamUrl(url), withCredentials ? 'credentials' : 'same-origin'];
  if (userKey !== undefined) parts.push(`user=${userKey}`);
  return `deltacast:${JSON.stringify(parts)}`;
}

/** `url` resolved against the page's address, as `new EventSource(url)` would; as is outside a page. */
export function resolveStreamUrl(url: string): string {
  const href = (globalThis as { location?: { href?: unknown } }).location?.href;
  try {
    return typeof href === 'string' ? new URL(url, href).href : new URL(url).href;
  } catch {
    return url;
  }
}
