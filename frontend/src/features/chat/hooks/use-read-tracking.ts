import { useEffect, useRef } from 'react';
import type { RefObject } from 'react';

/** At least this share of a message on screen counts as seen (or half the screen for a long one). */
const SEEN_RATIO = 0.5;

const pageVisible = () => document.visibilityState === 'visible';

/** Whether a row is still at least half in view (or fills half the view), by its geometry now. */
function stillInView(row: Element, view: DOMRect): boolean {
  if (view.height === 0) return true; // Not laid out (tests): the observer's word stands.
  const rect = row.getBoundingClientRect();
  const shown = Math.min(rect.bottom, view.bottom) - Math.max(rect.top, view.top);
  return shown > 0 && shown >= SEEN_RATIO * Math.min(rect.height, view.height);
}

/**
 * Reports the newest message seen: a row (`[data-seq]`) at least half scrolled into view while
 * the page is visible. When the page becomes visible again, what is on screen then is reported.
 * Without IntersectionObserver (old browsers, tests), the newest message counts as seen while
 * the list is scrolled to its end.
 *
 * `rowsKey` changes whenever rows may have been added (the timeline), so new rows are watched.
 */
export function useReadTracking(
  scroller: RefObject<HTMLElement | null>,
  rowsKey: unknown,
  onSeen: ((seq: number) => void) | undefined,
  atEnd: () => boolean,
): void {
  const report = useRef(onSeen);
  const observer = useRef<IntersectionObserver | null>(null);
  const inView = useRef(new Map<Element, number>());
  const check = useRef<() => void>(() => undefined);

  useEffect(() => {
    report.current = onSeen;
  }, [onSeen]);

  useEffect(() => {
    const root = scroller.current;
    if (!root) return;
    const visible = inView.current;
    const reportVisible = () => {
      if (!pageVisible() || !report.current) return;
      // The observer tells of scrolling a moment later: a row the list itself just scrolled
      // away (or that was removed) must not count as seen on its last word.
      const view = root.getBoundingClientRect();
      for (const [row, _seq] of visible) if (!row.isConnected || !stillInView(row, view)) visible.delete(row);
      if (visible.size > 0) report.current(Math.max(...visible.values()));
    };
    const fallback = () => {
      if (!pageVisible() || !report.current || !atEnd()) return;
      const rows = root.querySelectorAll<HTMLElement>('[data-seq]');
      const last = rows[rows.length - 1];
      if (last) report.current(Number(last.dataset.seq));
    };
    check.current = typeof IntersectionObserver === 'undefined' ? fallback : reportVisible;
    if (typeof IntersectionObserver !== 'undefined') {
      observer.current = new IntersectionObserver(
        (entries) => {
          for (const entry of entries) {
            const seen =
              entry.isIntersecting &&
              (entry.intersectionRatio >= SEEN_RATIO ||
                entry.intersectionRect.height >= SEEN_RATIO * (entry.rootBounds?.height ?? Infinity));
            if (seen) visible.set(entry.target, Number((entry.target as HTMLElement).dataset.seq));
            else visible.delete(entry.target);
          }
          reportVisible();
        },
        { root, threshold: [0, SEEN_RATIO, 1] },
      );
    } else {
      root.addEventListener('scroll', fallback, { passive: true });
    }
    const onVisibility = () => check.current();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      observer.current?.disconnect();
      observer.current = null;
      visible.clear();
      root.removeEventListener('scroll', fallback);
      document.removeEventListener('visibilitychange', onVisibility);
    };
    // `atEnd` reads a ref of the caller's: the same function for the list's lifetime.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [scroller]);

  useEffect(() => {
    const root = scroller.current;
    if (!root) return;
    const io = observer.current;
    if (io) for (const row of root.querySelectorAll('[data-seq]')) io.observe(row);
    // What is in view may count now where it did not before (reads were held meanwhile).
    check.current();
  }, [scroller, rowsKey]);
}
