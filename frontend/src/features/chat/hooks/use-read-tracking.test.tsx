import { act, render } from '@testing-library/react';
import { useRef } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { useReadTracking } from './use-read-tracking';

/** An IntersectionObserver the test drives: `show(seq, ratio)` says how much of a row is in view. */
class FakeObserver {
  static last: FakeObserver | null = null;
  readonly observed = new Set<Element>();
  constructor(readonly callback: IntersectionObserverCallback) {
    FakeObserver.last = this;
  }
  observe(el: Element) {
    this.observed.add(el);
  }
  unobserve(el: Element) {
    this.observed.delete(el);
  }
  disconnect() {
    this.observed.clear();
  }
  show(seq: number, ratio: number) {
    const target = [...this.observed].find((el) => (el as HTMLElement).dataset.seq === String(seq)) as Element;
    const entry = {
      target,
      isIntersecting: ratio > 0,
      intersectionRatio: ratio,
      intersectionRect: { height: ratio * 40 },
      rootBounds: { height: 400 },
    } as unknown as IntersectionObserverEntry;
    this.callback([entry], this as unknown as IntersectionObserver);
  }
}

function List({ seqs, onSeen }: { seqs: number[]; onSeen: (seq: number) => void }) {
  const ref = useRef<HTMLOListElement>(null);
  useReadTracking(ref, seqs, onSeen, () => false);
  return (
    <ol ref={ref}>
      {seqs.map((seq) => (
        <li key={seq} data-seq={seq}>
          {seq}
        </li>
      ))}
    </ol>
  );
}

let visibility: DocumentVisibilityState = 'visible';

beforeEach(() => {
  vi.stubGlobal('IntersectionObserver', FakeObserver);
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => visibility });
});
afterEach(() => {
  vi.unstubAllGlobals();
  delete (document as { visibilityState?: string }).visibilityState;
  visibility = 'visible';
});

describe('useReadTracking', () => {
  it('reports the newest row at least half in view, only while the page is visible', () => {
    const onSeen = vi.fn();
    const { rerender } = render(<List seqs={[1, 2, 3]} onSeen={onSeen} />);
    const io = FakeObserver.last as FakeObserver;
    expect(io.observed.size).toBe(3);
    act(() => io.show(2, 0.3));
    expect(onSeen).not.toHaveBeenCalled();
    act(() => io.show(2, 0.6));
    expect(onSeen).toHaveBeenLastCalledWith(2);

    visibility = 'hidden';
    rerender(<List seqs={[1, 2, 3, 4]} onSeen={onSeen} />);
    expect(io.observed.size).toBe(4);
    act(() => io.show(4, 1));
    expect(onSeen).toHaveBeenCalledTimes(1);
    // Back in view: what is on screen now counts.
    visibility = 'visible';
    act(() => {
      document.dispatchEvent(new Event('visibilitychange'));
    });
    expect(onSeen).toHaveBeenLastCalledWith(4);
  });
});
