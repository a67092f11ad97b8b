import { useSyncExternalStore } from 'react';

const subscribe = (onChange: () => void) => {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
};
const read = () => {
  const m = window.location.hash.match(/^#\/chat\/(\d+)$/);
  return m ? Number(m[1]) : null;
};

/** The chat id in the URL (`#/chat/42`), or null. */
export function useHashChat(): number | null {
  return useSyncExternalStore(subscribe, read, () => null);
}
