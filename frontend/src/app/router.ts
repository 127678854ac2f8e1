import { useEffect, useState } from 'react';

/**
 * Hash routes (`#/rooms/general`) keep every screen reachable by a link without asking Django
 * to route client paths to the page. A page opened at `/rooms/<slug>/` (Django serves the app
 * there too) starts in that room until a hash says otherwise. `#/rooms/general?message=812`
 * opens the room at that message (a notification's click).
 */
export type Route = { name: 'rooms' } | { name: 'room'; slug: string; message?: number };

export function parseRoute(hash: string, pathname = '/'): Route {
  const source = hash && hash !== '#' ? hash : `#${pathname}`;
  const match = /^#\/rooms\/([^/?#]+)\/?(?:\?([^#]*))?$/.exec(source);
  if (match?.[1]) {
    try {
      const slug = decodeURIComponent(match[1]);
      const message = new URLSearchParams(match[2] ?? '').get('message') ?? '';
      // Anything but an id is ignored: the room opens as usual.
      return /^[1-9][0-9]{0,17}$/.test(message) ? { name: 'room', slug, message: Number(message) } : { name: 'room', slug };
    } catch {
      return { name: 'rooms' };
    }
  }
  return { name: 'rooms' };
}

export function roomHref(slug: string, messageId?: number): string {
  const base = `#/rooms/${encodeURIComponent(slug)}`;
  return messageId === undefined ? base : `${base}?message=${messageId}`;
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
