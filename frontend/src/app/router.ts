import { useEffect, useState } from 'react';

/**
 * Hash routes (`#/rooms/general`) keep every screen reachable by a link without asking Django
 * to route client paths to the page. A page opened at `/rooms/<slug>/` (Django serves the app
 * there too) starts in that room until a hash says otherwise.
 */
export type Route = { name: 'rooms' } | { name: 'room'; slug: string };

export function parseRoute(hash: string, pathname = '/'): Route {
  const source = hash && hash !== '#' ? hash : `#${pathname}`;
  const match = /^#\/rooms\/([^/?#]+)\/?$/.exec(source);
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
  const [route, setRoute] = useState(() => parseRoute(window.location.hash, window.location.pathname));
  useEffect(() => {
    const onChange = () => setRoute(parseRoute(window.location.hash, window.location.pathname));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return route;
}
