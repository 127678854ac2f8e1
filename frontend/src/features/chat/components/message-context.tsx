import { useLayoutEffect, useMemo, useRef } from 'react';

import { t } from '@/lib/i18n';

import type { ContextWindow, HistoryApi } from '../api/message-context';
import { useContextWindow } from '../hooks/use-context-window';
import type { ContextDirection } from '../hooks/use-context-window';
import { messageTimeline } from '../utils/timeline';
import { DayDivider } from './day-divider';
import { MessageRow } from './message-row';

interface Props {
  history: HistoryApi;
  slug: string;
  /** What was read around the message opened; a new window wants a new component (`key`). */
  initial: ContextWindow;
  youId: number;
  messageMaxLength: number;
  /** A reply's quote was chosen: its original is shown, here or in the timeline. */
  onJumpTo?: (id: number, seq?: number) => void;
  /** "Jump to the present": back to the live timeline. */
  onPresent: () => void;
}

/** Never called: the rows offer no Edit or Delete here. */
const readOnly = () => Promise.resolve();

/**
 * The context view: a message too far back for the timeline, with what was said around it,
 * drawn as the timeline draws messages but read-only (no Reply, React, Edit or Delete: those
 * belong where the live state is), and nothing in it counts as read. The target stays marked.
 */
export function MessageContext({ history, slug, initial, youId, messageMaxLength, onJumpTo, onPresent }: Props) {
  const { window: shown, loading, failed, extend } = useContextWindow(history, slug, initial);
  const items = useMemo(() => messageTimeline(shown.messages, youId), [shown.messages, youId]);
  const held = useMemo(() => new Map(shown.messages.map((m) => [m.id, m])), [shown.messages]);
  const region = useRef<HTMLElement>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const prev = useRef<{ first?: number; height: number } | null>(null);
  /** An "Older"/"Newer" press whose page is loading. */
  const pressed = useRef(false);

  // Runs before paint: opening brings the target to the upper third, as the timeline does; an
  // older page put on top keeps what the reader was looking at in place.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const first = shown.messages[0]?.id;
    const before = prev.current;
    if (!before) {
      const row = el.querySelector(`[data-message-id="${shown.targetId}"]`);
      if (row) el.scrollTop += row.getBoundingClientRect().top - el.getBoundingClientRect().top - el.clientHeight / 3;
    } else if (first !== before.first) {
      el.scrollTop += el.scrollHeight - before.height;
    }
    prev.current = { first, height: el.scrollHeight };
    // History ended that way and its button went with the focus: the keyboard stays in the view.
    if (pressed.current && !region.current?.contains(document.activeElement)) region.current?.focus();
    pressed.current = false;
  }, [shown]);

  const more = (direction: ContextDirection) => {
    pressed.current = true;
    void extend(direction);
  };

  const moreButton = (direction: ContextDirection) => {
    const busy = loading === direction;
    const idle = direction === 'older' ? t('chat.contextOlder') : t('chat.contextNewer');
    const busyText = direction === 'older' ? t('chat.loadingOlder') : t('chat.contextLoadingNewer');
    return (
      // aria-disabled, not disabled: a disabled button would drop the keyboard's focus.
      <button
        type="button"
        className="chip"
        aria-disabled={busy || undefined}
        onClick={() => (busy ? undefined : more(direction))}
        data-testid={`context-${direction}`}
      >
        {busy ? busyText : idle}
      </button>
    );
  };

  return (
    <section className="message-context" ref={region} tabIndex={-1} aria-label={t('chat.contextLabel')} data-testid="message-context">
      <p className="banner banner--info message-context__banner" role="status" data-testid="context-banner">
        <span>{t('chat.contextBanner')}</span>
        <button type="button" className="chip chip--primary" onClick={onPresent} data-testid="jump-to-present">
          {t('chat.jumpToPresent')}
        </button>
      </p>
      <div className="message-list">
        <div className="message-list__scroller" ref={scroller} data-testid="context-scroller">
          <div className="message-list__top">
            {shown.hasOlder ? moreButton('older') : <span className="muted">{t('chat.beginning')}</span>}
          </div>
          <ol className="message-list__items" aria-label={t('chat.messagesLabel')} data-testid="context-list">
            {items.map((item) => {
              if (item.kind === 'day') return <DayDivider key={item.key} date={item.date} />;
              if (item.kind !== 'message') return null;
              const m = item.message;
              return (
                <MessageRow
                  key={item.key}
                  message={m}
                  own={item.own}
                  continued={item.continued}
                  canEdit={false}
                  canDelete={false}
                  messageMaxLength={messageMaxLength}
                  onEdit={readOnly}
                  onDelete={readOnly}
                  youId={youId}
                  highlighted={m.id === shown.targetId}
                  current={m.id === shown.targetId}
                  onJumpTo={onJumpTo}
                  quoteMentions={m.reply_to ? held.get(m.reply_to.id)?.mentions : undefined}
                />
              );
            })}
          </ol>
          {shown.hasNewer ? <div className="message-list__top message-context__bottom">{moreButton('newer')}</div> : null}
          {failed ? (
            <p className="message-context__error" role="alert" data-testid="context-error">
              {t('chat.contextFailed')}
            </p>
          ) : null}
        </div>
      </div>
    </section>
  );
}
