import { useCallback, useEffect, useRef, useState } from 'react';

import { extendNewer, extendOlder } from '../api/message-context';
import type { ContextWindow, HistoryApi } from '../api/message-context';

export type ContextDirection = 'older' | 'newer';

export interface ContextWindowState {
  window: ContextWindow;
  /** The page being read, if one is. */
  loading: ContextDirection | null;
  /** The last page asked for failed; asking again retries it. */
  failed: boolean;
  /** One more page that way; nothing while a page is loading or when history ends there. */
  extend: (direction: ContextDirection) => Promise<void>;
}

/**
 * The context view's window, grown a page at a time from `initial`. Its state is this hook's
 * alone, never the room's ChatState. Live edits and deletes of the messages in it are not
 * applied: the view is a snapshot of when it was read, left with "Jump to the present", and a
 * message opened again is read afresh.
 */
export function useContextWindow(api: HistoryApi, slug: string, initial: ContextWindow): ContextWindowState {
  const [held, setHeld] = useState(initial);
  const [loading, setLoading] = useState<ContextDirection | null>(null);
  const [failed, setFailed] = useState(false);
  // Read by `extend` when it starts, so two presses in one render cannot both load.
  const busy = useRef(false);
  const mounted = useRef(true);

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const extend = useCallback(
    async (direction: ContextDirection) => {
      if (busy.current || !(direction === 'older' ? held.hasOlder : held.hasNewer)) return;
      busy.current = true;
      setLoading(direction);
      setFailed(false);
      try {
        const next = await (direction === 'older' ? extendOlder : extendNewer)(api, slug, held);
        if (mounted.current) setHeld(next);
      } catch {
        if (mounted.current) setFailed(true);
      } finally {
        busy.current = false;
        if (mounted.current) setLoading(null);
      }
    },
    [api, slug, held],
  );

  return { window: held, loading, failed, extend };
}
