import { useEffect, useRef, useState } from 'react';
import type { PointerEvent } from 'react';

import { t } from '@/lib/i18n';
import type { Reaction } from '@/lib/protocol';

import type { SendFailure } from '../api/chat-state';
import { errorText } from '../utils/error-text';
import { reactedBy, reactionLabel } from '../utils/reactions';
import { ReactionPicker } from './reaction-picker';

import './replies-reactions.css';

/** How long a touch must rest on a chip to show who reacted. */
const LONG_PRESS_MS = 500;
/** How long that list stays unless dismissed. */
const WHO_SHOWN_MS = 4000;

interface Props {
  reactions: readonly Reaction[];
  youId?: number;
  /** Adds or takes back the user's emoji; without it the chips are read-only (an archived room). */
  onReact?: (emoji: string, on: boolean) => void;
  /** The picker is open (the row's React action opened it). */
  picking: boolean;
  onPickerClose: () => void;
  /** The server refused the user's last reaction to this message. */
  failure?: SendFailure | null;
  /** The server's message limit, which error texts may name. */
  messageMaxLength: number;
}

function failureText(f: SendFailure, messageMaxLength: number): string {
  const text = errorText(f.code, f.detail, { messageMaxLength });
  return f.retryAfter ? `${text} ${t('chat.retryIn', { seconds: f.retryAfter })}` : text;
}

/**
 * A message's reactions as chips (emoji and count, pressed when one is yours, who reacted in the
 * name and tooltip, or on a long press on touch screens), the picker, and a refused reaction's
 * reason.
 */
export function ReactionBar({ reactions, youId, onReact, picking, onPickerClose, failure = null, messageMaxLength }: Props) {
  const [who, setWho] = useState<string | null>(null);
  const pressTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  /** A long press just showed the list: the click that ends it must not toggle the reaction. */
  const longPressed = useRef(false);
  const readOnly = !onReact;

  // The list goes away after a while, at the next touch anywhere, or with Escape.
  useEffect(() => {
    if (who === null) return;
    const hide = () => setWho(null);
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (e.key === 'Escape') hide();
    };
    const timer = setTimeout(hide, WHO_SHOWN_MS);
    document.addEventListener('pointerdown', hide);
    document.addEventListener('keydown', onKey);
    return () => {
      clearTimeout(timer);
      document.removeEventListener('pointerdown', hide);
      document.removeEventListener('keydown', onKey);
    };
  }, [who]);

  function clearPress() {
    if (pressTimer.current !== null) clearTimeout(pressTimer.current);
    pressTimer.current = null;
  }

  const onPointerDown = (e: PointerEvent, emoji: string) => {
    longPressed.current = false;
    if (e.pointerType !== 'touch') return;
    clearPress();
    pressTimer.current = setTimeout(() => {
      longPressed.current = true;
      setWho(emoji);
    }, LONG_PRESS_MS);
  };

  const toggle = (reaction: Reaction) => {
    if (longPressed.current) {
      longPressed.current = false;
      return;
    }
    onReact?.(reaction.emoji, !reactedBy(reaction, youId));
  };

  const pick = (emoji: string) => {
    const held = reactions.find((r) => r.emoji === emoji);
    // Choosing an emoji already yours takes it back, as clicking its chip does.
    onReact?.(emoji, !(held && reactedBy(held, youId)));
    onPickerClose();
  };

  const shown = reactions.find((r) => r.emoji === who);
  if (reactions.length === 0 && !(picking && !readOnly) && !failure) return null;
  return (
    <div className="reactions" data-testid="reaction-bar">
      {reactions.length > 0 ? (
        <ul className="reactions__list" aria-label={t('chat.reactions')} data-testid="reactions">
          {reactions.map((r) => {
            const label = reactionLabel(r);
            const mine = reactedBy(r, youId);
            return (
              <li key={r.emoji}>
                <button
                  type="button"
                  className={`reaction${mine ? ' reaction--mine' : ''}`}
                  aria-pressed={mine}
                  aria-label={label}
                  aria-disabled={readOnly || undefined}
                  title={label}
                  data-testid="reaction"
                  data-emoji={r.emoji}
                  data-count={r.users.length}
                  onClick={readOnly ? undefined : () => toggle(r)}
                  onPointerDown={(e) => onPointerDown(e, r.emoji)}
                  onPointerUp={clearPress}
                  onPointerCancel={clearPress}
                  onPointerLeave={clearPress}
                  onContextMenu={(e) => {
                    // The long press is ours on touch screens, not the browser's menu.
                    if (longPressed.current || pressTimer.current !== null) e.preventDefault();
                  }}
                >
                  <span className="reaction__emoji">{r.emoji}</span> <span className="reaction__count">{r.users.length}</span>
                </button>
              </li>
            );
          })}
        </ul>
      ) : null}
      {shown ? (
        <div className="reaction-who" role="tooltip" data-testid="reaction-who">
          {reactionLabel(shown)}
        </div>
      ) : null}
      {picking && !readOnly ? <ReactionPicker onPick={pick} onClose={onPickerClose} /> : null}
      {failure ? (
        <p className="message__error" role="alert" data-testid="reaction-error" data-code={failure.code}>
          {t('chat.actionFailed', { detail: failureText(failure, messageMaxLength) })}
        </p>
      ) : null}
    </div>
  );
}
