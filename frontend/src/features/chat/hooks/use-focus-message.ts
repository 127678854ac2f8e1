import { useEffect, useState } from 'react';

import type { ChatState } from '../api/chat-state';
import type { RoomSession } from '../api/room-session';

/**
 * Pages of history (50 messages each, the server's default) loaded to reach a message opened by
 * address: a notification, a reply's quote or a search result. Search finds messages of any age,
 * so the bound is twice what a notification needed (1,000 messages, which the list still draws
 * quickly); past it the room says so instead of loading on.
 */
export const FOCUS_PAGES_MAX = 20;
/** How long that message stays marked. */
const HIGHLIGHT_MS = 2500;

/** Why a message to show is not on screen: past the pages loaded, not in the room (deleted), or a page failed. */
export type UnreachedReason = 'too_far' | 'missing' | 'failed';

export interface FocusOutcome {
  /** The message brought into view and marked for a moment; a new object each time. */
  highlight: { id: number } | null;
  /** The message asked for could not be shown, and why. */
  unreached: { id: number; reason: UnreachedReason } | null;
  dismiss: () => void;
}

/**
 * A message to show: once the room is loaded, older history is loaded back past it (so what led
 * up to it shows above it too), then it is the one to bring into view and mark for a moment. A
 * new `focus` object starts over, also for the same id.
 */
export function useFocusMessage(session: RoomSession, focus: { id: number } | null, ready: boolean): FocusOutcome {
  const [highlight, setHighlight] = useState<{ id: number } | null>(null);
  const [missed, setMissed] = useState<{ focus: { id: number }; reason: UnreachedReason } | null>(null);

  useEffect(() => {
    if (!focus || !ready) return;
    let current = true;
    // Older than the target, not the target itself: a message opened at the top of the list
    // would have nothing above it to say what it answers.
    const pastIt = (s: ChatState) => (s.messages[0]?.id ?? 0) < focus.id;
    void session
      .loadOlderUntil(pastIt, FOCUS_PAGES_MAX)
      .then(
        () => false,
        () => true,
      )
      .then((failed) => {
        if (!current) return;
        const s = session.state;
        if (s.messages.some((m) => m.id === focus.id)) setHighlight({ id: focus.id });
        else if (failed) setMissed({ focus, reason: 'failed' });
        else setMissed({ focus, reason: s.hasMore && !pastIt(s) ? 'too_far' : 'missing' });
      });
    return () => {
      current = false;
    };
  }, [focus, ready, session]);

  useEffect(() => {
    if (!highlight) return;
    const timer = setTimeout(() => setHighlight(null), HIGHLIGHT_MS);
    return () => clearTimeout(timer);
  }, [highlight]);

  // A note about an earlier target is stale once another was asked for.
  const unreached = missed && missed.focus === focus ? { id: focus.id, reason: missed.reason } : null;
  return { highlight, unreached, dismiss: () => setMissed(null) };
}
