import { useCallback, useEffect, useState } from 'react';

import { loadAround, loadUpTo } from '../api/message-context';
import type { ContextWindow } from '../api/message-context';
import type { ChatState } from '../api/chat-state';
import type { MessagePage } from '../api/messages-api';
import type { RoomSession } from '../api/room-session';

/**
 * How far back (in messages) a message opened by address — a notification, a reply's quote, a
 * search result — may be and still be paged into the room's timeline: 1,000, which the list
 * still draws quickly. Anything further back opens in the context view instead: the message with
 * what was said around it, read apart from the live timeline.
 */
export const FOCUS_DISTANCE_MAX = 1000;
/**
 * Pages loaded at most on the way: FOCUS_DISTANCE_MAX in the server's default pages of 50. Under
 * a server with smaller pages the estimate can fall short; the context view takes over then.
 */
export const FOCUS_PAGES_MAX = 20;
/** How long that message stays marked. */
const HIGHLIGHT_MS = 2500;

/** Why a message to show is not on screen: not in the room (deleted for good), or a request failed. */
export type UnreachedReason = 'missing' | 'failed';

/** A message to show. Its `seq`, when known (a search result, a reply's quote), tells how far back it is without asking. */
export interface FocusTarget {
  id: number;
  seq?: number;
}

export interface FocusOutcome {
  /** The message brought into view in the timeline and marked for a moment; a new object each time. */
  highlight: { id: number } | null;
  /** Too far back for the timeline: the history around it, for the context view. `serial` is new for each opening. */
  context: { window: ContextWindow; serial: number } | null;
  /** The message asked for could not be shown, and why. */
  unreached: { id: number; reason: UnreachedReason } | null;
  dismiss: () => void;
  /** Back to the live timeline ("Jump to the present"). */
  closeContext: () => void;
}

type Located = { in: 'timeline' } | { in: 'context'; window: ContextWindow } | { in: 'nowhere'; reason: UnreachedReason };

/**
 * Where to show `focus`. In the timeline when it is held, or close enough to page in older
 * history back past it (so what led up to it shows above it too); in the context view when it
 * is further back. How far is judged up front from seqs (the room's messages are numbered without
 * gaps, tombstones included): the target's, given or read with the first half of its context,
 * against the oldest one held.
 */
async function locate(session: RoomSession, focus: FocusTarget): Promise<Located> {
  // Older than the target, not the target itself: a message opened at the top of the list
  // would have nothing above it to say what it answers.
  const pastIt = (s: ChatState) => (s.messages[0]?.id ?? 0) < focus.id;
  const history = session.history;
  let upTo: MessagePage | null | undefined;
  const inContext = async (): Promise<Located> => {
    const window = await loadAround(history, session.slug, focus.id, upTo);
    return window ? { in: 'context', window } : { in: 'nowhere', reason: 'missing' };
  };
  try {
    const held = session.state;
    const oldest = held.messages[0];
    if (held.hasMore && oldest && focus.id < oldest.id) {
      let seq = focus.seq;
      if (seq === undefined) {
        upTo = await loadUpTo(history, session.slug, focus.id);
        if (!upTo) return { in: 'nowhere', reason: 'missing' };
        seq = upTo.messages.at(-1)?.seq ?? 0;
      }
      // Everything from the one before it up to the oldest held would have to be loaded.
      if (oldest.seq - seq + 1 > FOCUS_DISTANCE_MAX) return await inContext();
    }
    await session.loadOlderUntil(pastIt, FOCUS_PAGES_MAX);
    const s = session.state;
    if (s.messages.some((m) => m.id === focus.id)) return { in: 'timeline' };
    // The pages ran out before reaching it (smaller than estimated).
    if (s.hasMore && !pastIt(s)) return await inContext();
    return { in: 'nowhere', reason: 'missing' };
  } catch {
    return { in: 'nowhere', reason: 'failed' };
  }
}

/**
 * A message to show: once the room is loaded, it is either brought into view in the timeline and
 * marked for a moment, or (too far back) opened in the context view. A new `focus` object starts
 * over, also for the same id.
 */
export function useFocusMessage(session: RoomSession, focus: FocusTarget | null, ready: boolean): FocusOutcome {
  const [highlight, setHighlight] = useState<{ id: number } | null>(null);
  const [missed, setMissed] = useState<{ focus: FocusTarget; reason: UnreachedReason } | null>(null);
  const [context, setContext] = useState<FocusOutcome['context']>(null);

  useEffect(() => {
    if (!focus || !ready) return;
    let current = true;
    void locate(session, focus).then((found) => {
      if (!current) return;
      if (found.in === 'timeline') {
        setContext(null);
        setHighlight({ id: focus.id });
      } else if (found.in === 'context') {
        setContext((held) => ({ window: found.window, serial: (held?.serial ?? 0) + 1 }));
      } else {
        // A context view already open stays: the note says the new one could not be shown.
        setMissed({ focus, reason: found.reason });
      }
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

  const dismiss = useCallback(() => setMissed(null), []);
  const closeContext = useCallback(() => setContext(null), []);
  // A note about an earlier target is stale once another was asked for.
  const unreached = missed && missed.focus === focus ? { id: focus.id, reason: missed.reason } : null;
  return { highlight, context, unreached, dismiss, closeContext };
}
