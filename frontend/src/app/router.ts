import { useEffect, useState } from 'react';

/**
 * Hash routes (`#/rooms/general`) keep every screen reachable by a link without asking Django
 * to route client paths to the page.
 */
export type Route = { name: 'rooms' } | { name: 'room'; slug: string };

export function parseRoute(hash: string): Route {
  const match = /^#\/rooms\/([^/?#]+)\/?$/.exec(hash);
  if (match?.[1]) {
    try {
      return { name: 'room', slug: decodeURIComponent(match[1]) };
    } catch {
      return { name: 'rooms' };
    }
  }
  return { name: 'rooms' };
}

export function roomHref(slug: string): string {
  return `#/rooms/${encodeURIComponent(slug)}`;
}

export function navigate(hash: string): void {
  if (window.location.hash !== hash) window.location.hash = hash;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
