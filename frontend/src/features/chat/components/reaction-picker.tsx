import { useEffect, useRef, useState } from 'react';
import type { FormEvent, KeyboardEvent } from 'react';

import { t } from '@/lib/i18n';

import { COMMON_EMOJI, looksLikeEmoji, readRecentEmoji, rememberEmoji } from '../utils/recent-emoji';

import './replies-reactions.css';

interface Props {
  /** An emoji chosen or typed; the server judges a typed one (`invalid_emoji`). */
  onPick: (emoji: string) => void;
  onClose: () => void;
}

/**
 * The reactions on offer: the user's recent emoji (most recent first), the common ones, and a
 * field for any other. It takes the keyboard when it opens; Escape closes it.
 */
export function ReactionPicker({ onPick, onClose }: Props) {
  const [recent] = useState(readRecentEmoji);
  const [typed, setTyped] = useState('');
  const first = useRef<HTMLButtonElement>(null);
  const common = COMMON_EMOJI.filter((e) => !recent.includes(e));

  useEffect(() => {
    first.current?.focus();
  }, []);

  const pick = (emoji: string) => {
    rememberEmoji(emoji);
    onPick(emoji);
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const emoji = typed.trim();
    if (!emoji) return;
    // Words never join the recent list; whatever the server refuses it says so.
    if (looksLikeEmoji(emoji)) rememberEmoji(emoji);
    onPick(emoji);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onClose();
    }
  };

  const button = (emoji: string, index: number) => (
    <button
      key={emoji}
      ref={index === 0 ? first : undefined}
      type="button"
      className="reaction-picker__emoji"
      aria-label={t('chat.reactWith', { emoji })}
      title={t('chat.reactWith', { emoji })}
      data-testid="picker-emoji"
      data-emoji={emoji}
      onClick={() => pick(emoji)}
    >
      {emoji}
    </button>
  );

  return (
    <div className="reaction-picker" role="group" aria-label={t('chat.emojiPicker')} data-testid="reaction-picker" onKeyDown={onKeyDown}>
      {recent.length > 0 ? (
        <div className="reaction-picker__row" role="group" aria-label={t('chat.emojiRecent')} data-testid="recent-emoji">
          {recent.map(button)}
        </div>
      ) : null}
      <div className="reaction-picker__row" role="group" aria-label={t('chat.emojiCommon')} data-testid="common-emoji">
        {common.map((emoji, i) => button(emoji, recent.length + i))}
      </div>
      <form className="reaction-picker__form" onSubmit={submit}>
        <input
          className="reaction-picker__input"
          aria-label={t('chat.emojiInput')}
          placeholder={t('chat.emojiInputHint')}
          data-testid="emoji-input"
          value={typed}
          autoComplete="off"
          onChange={(e) => setTyped(e.target.value)}
        />
        <button type="submit" className="chip" disabled={!typed.trim()} data-testid="emoji-submit">
          {t('chat.emojiAdd')}
        </button>
        <button type="button" className="chip" aria-label={t('chat.closePicker')} onClick={onClose} data-testid="close-picker">
          <span aria-hidden="true">×</span>
        </button>
      </form>
    </div>
  );
}
