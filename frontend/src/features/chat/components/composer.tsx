import { useLayoutEffect, useRef, useState } from 'react';
import type { FormEvent, KeyboardEvent } from 'react';

import { t } from '@/lib/i18n';

/** The count shows from this share of the limit on (3500 of 4000). */
const SHOW_COUNT_AT = 7 / 8;

interface Props {
  disabled: boolean;
  disabledReason?: string;
  /** The server's limit in characters (`limits.message_max_length` of `GET /api/auth/config/`). */
  maxLength: number;
  /** Focus the box when it appears, so the room can be typed into at once. */
  autoFocus?: boolean;
  onSend: (body: string) => void;
  onTyping: () => void;
}

export function Composer({ disabled, disabledReason, maxLength, autoFocus = false, onSend, onTyping }: Props) {
  const [body, setBody] = useState('');
  const ref = useRef<HTMLTextAreaElement>(null);
  const length = [...body].length;
  const tooLong = length > maxLength;
  const canSend = !disabled && body.trim().length > 0 && !tooLong;

  // Grow with the text up to a few lines, then scroll inside.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 160)}px`;
  }, [body]);

  const send = (e?: FormEvent) => {
    e?.preventDefault();
    if (!canSend) return;
    onSend(body);
    setBody('');
    ref.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    // While an IME (Korean, Japanese…) is composing, Enter confirms the syllable, not the message.
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      send();
    }
  };

  return (
    <form className="composer" onSubmit={send}>
      <textarea
        ref={ref}
        className="composer__input"
        aria-label={t('chat.composerLabel')}
        data-testid="composer-input"
        placeholder={disabled && disabledReason ? disabledReason : t('chat.composerPlaceholder')}
        rows={1}
        value={body}
        disabled={disabled}
        aria-invalid={tooLong || undefined}
        // Only when it mounts (entering a room), never on a later render.
        autoFocus={autoFocus}
        onChange={(e) => {
          setBody(e.target.value);
          if (e.target.value.trim()) onTyping();
        }}
        onKeyDown={onKeyDown}
      />
      {length >= Math.floor(maxLength * SHOW_COUNT_AT) ? (
        <span className={`composer__count${tooLong ? ' composer__count--over' : ''}`} aria-live="polite">
          {length} / {maxLength}
        </span>
      ) : null}
      <button type="submit" className="button button--primary composer__send" disabled={!canSend} data-testid="send-button">
        {t('chat.send')}
      </button>
    </form>
  );
}
