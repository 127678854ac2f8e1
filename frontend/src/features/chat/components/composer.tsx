import { useCallback, useEffect, useId, useLayoutEffect, useRef, useState } from 'react';
import type { FormEvent, KeyboardEvent, RefObject } from 'react';

import { t } from '@/lib/i18n';
import { namesToTokens, parseMentions, tokensToNames } from '@/lib/mentions';
import type { ReplyRef, UserRef } from '@/lib/protocol';

import { applyPick, findTrigger, useMentionOptions } from '../hooks/use-mention-picker';
import type { MentionOption, MentionSource, Trigger } from '../hooks/use-mention-picker';
import { errorText } from '../utils/error-text';
import { MentionListbox } from './mention-listbox';
import { ReplyBar } from './reply-bar';

/** The count shows from this share of the limit on (3500 of 4000). */
const SHOW_COUNT_AT = 7 / 8;

export interface ComposerMentions extends MentionSource {
  /** The server's limit on different people per message (`limits.mentions_max`), if it names one. */
  max?: number;
}

interface Props {
  disabled: boolean;
  disabledReason?: string;
  /** The server's limit in characters (`limits.message_max_length` of `GET /api/auth/config/`). */
  maxLength: number;
  /** Focus the box when it appears, so the room can be typed into at once. */
  autoFocus?: boolean;
  /**
   * `@` suggestions and the server's mention rules; without them (a server that keeps no
   * memberships) the box is a plain text box.
   */
  mentions?: ComposerMentions;
  /** A send the server refused for its mentions: its text comes back into the box if it is empty. */
  refused?: { key: string; body: string } | null;
  /** The message the next send answers ("Replying to …" above the box), and its mentions. */
  reply?: { quote: ReplyRef; mentions?: readonly UserRef[] } | null;
  /** Its × button, or Escape in the box. */
  onCancelReply?: () => void;
  /** The body with `<@id>` for each person picked, and those people (when there are any). */
  onSend: (body: string, mentioned?: UserRef[]) => void;
  onTyping: () => void;
  /** Given the text box, for a screen that moves the keyboard there later. */
  inputRef?: RefObject<HTMLTextAreaElement | null>;
}

export function Composer(props: Props) {
  const { disabled, disabledReason, maxLength, autoFocus = false, mentions, refused = null, onSend, onTyping } = props;
  const { reply = null, onCancelReply, inputRef } = props;
  const [body, setBody] = useState('');
  const [trigger, setTrigger] = useState<Trigger | null>(null);
  /** The `@` whose suggestions were closed with Escape: they stay closed until another `@`. */
  const [dismissedAt, setDismissedAt] = useState<number | null>(null);
  const [active, setActive] = useState<{ query: string; index: number }>({ query: '', index: -1 });
  /** People picked from the suggestions: their `@Name` is sent as `<@id>`. */
  const [picked, setPicked] = useState<UserRef[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [restored, setRestored] = useState<string | null>(null);
  const ref = useRef<HTMLTextAreaElement>(null);
  const caretAfter = useRef<number | null>(null);
  const listboxId = useId();
  const replyBarId = useId();
  const replyTo = reply?.quote.id;
  const setInput = useCallback(
    (el: HTMLTextAreaElement | null) => {
      ref.current = el;
      if (inputRef) inputRef.current = el;
    },
    [inputRef],
  );

  // Choosing Reply puts the keyboard here, to write the answer.
  useEffect(() => {
    if (replyTo !== undefined) ref.current?.focus();
  }, [replyTo]);

  const options = useMentionOptions(mentions, trigger);
  const open = !disabled && trigger !== null && trigger.start !== dismissedAt && options.length > 0;
  const activeIndex = open && trigger && active.query === trigger.query && active.index < options.length ? active.index : -1;
  const length = [...body].length;
  const tooLong = length > maxLength;
  const canSend = !disabled && body.trim().length > 0 && !tooLong;

  // A refused send comes back to be fixed, unless something else is being written meanwhile.
  if (refused && refused.key !== restored) {
    setRestored(refused.key);
    if (body === '') setBody(tokensToNames(refused.body, picked));
  }

  // Grow with the text up to a few lines, then scroll inside; put the caret after a pick.
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 160)}px`;
    if (caretAfter.current !== null) {
      el.setSelectionRange(caretAfter.current, caretAfter.current);
      caretAfter.current = null;
    }
  }, [body]);

  const follow = (el: HTMLTextAreaElement) => {
    const next = mentions && el.selectionStart === el.selectionEnd ? findTrigger(el.value, el.selectionStart) : null;
    if (next?.start !== trigger?.start || next?.query !== trigger?.query) setTrigger(next);
  };

  const pick = (option: MentionOption) => {
    const el = ref.current;
    if (!trigger || !el) return;
    const result = applyPick(body, trigger, el.selectionStart, option);
    const user = result.user;
    if (user) setPicked((held) => [...held.filter((u) => u.display_name !== user.display_name), user]);
    caretAfter.current = result.caret;
    setBody(result.text);
    setTrigger(null);
    el.focus();
  };

  /** The body as sent, or why it cannot be: checked here so the text stays to be fixed. */
  const outgoing = (): { body: string; mentioned: UserRef[] } | string => {
    const sent = namesToTokens(body, picked);
    if (!mentions) return { body: sent, mentioned: [] };
    const found = parseMentions(sent);
    if (mentions.max !== undefined && found.users.length > mentions.max) {
      return errorText('too_many_mentions', '', { messageMaxLength: maxLength, mentionsMax: mentions.max });
    }
    if (found.room && !mentions.canMentionRoom) return errorText('room_mention_not_allowed', '', { messageMaxLength: maxLength });
    return { body: sent, mentioned: picked.filter((u) => found.users.includes(u.id)) };
  };

  const send = (e?: FormEvent) => {
    e?.preventDefault();
    if (!canSend) return;
    const out = outgoing();
    if (typeof out === 'string') {
      setError(out);
      return;
    }
    if (out.mentioned.length > 0) onSend(out.body, out.mentioned);
    else onSend(out.body);
    setBody('');
    setTrigger(null);
    ref.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    // While an IME (Korean, Japanese…) is composing, Enter confirms the syllable, not the message.
    const composing = e.nativeEvent.isComposing || e.keyCode === 229;
    if (open && trigger && !composing) {
      const move = (index: number) => {
        e.preventDefault();
        setActive({ query: trigger.query, index });
      };
      if (e.key === 'ArrowDown') return move((activeIndex + 1) % options.length);
      if (e.key === 'ArrowUp') return move(activeIndex <= 0 ? options.length - 1 : activeIndex - 1);
      if (e.key === 'Escape') {
        e.preventDefault();
        setDismissedAt(trigger.start);
        return;
      }
      if ((e.key === 'Enter' && !e.shiftKey) || e.key === 'Tab') {
        // Nothing highlighted yet: the first suggestion, the one on top.
        const option = options[Math.max(0, activeIndex)];
        if (option) {
          e.preventDefault();
          pick(option);
          return;
        }
      }
    }
    if (e.key === 'Escape' && reply && onCancelReply && !composing) {
      e.preventDefault();
      onCancelReply();
      return;
    }
    if (e.key === 'Enter' && !e.shiftKey && !composing) {
      e.preventDefault();
      send();
    }
  };

  const activeOption = activeIndex >= 0 ? options[activeIndex] : undefined;
  // The combobox pattern only where there is something to suggest.
  const combobox = mentions
    ? {
        role: 'combobox',
        'aria-autocomplete': 'list' as const,
        'aria-expanded': open,
        'aria-controls': listboxId,
        'aria-activedescendant': activeOption ? `${listboxId}-${activeOption.key}` : undefined,
      }
    : {};

  return (
    <form className={`composer${reply ? ' composer--replying' : ''}`} onSubmit={send}>
      {reply && onCancelReply ? (
        <ReplyBar
          id={replyBarId}
          quote={reply.quote}
          mentions={reply.mentions}
          onCancel={() => {
            onCancelReply();
            ref.current?.focus();
          }}
        />
      ) : null}
      {mentions ? (
        <MentionListbox id={listboxId} open={open} options={options} activeIndex={activeIndex} onPick={pick} />
      ) : null}
      {error ? (
        <p className="composer__error" role="alert" data-testid="composer-error">
          {error}
        </p>
      ) : null}
      <textarea
        ref={setInput}
        className="composer__input"
        aria-label={t('chat.composerLabel')}
        data-testid="composer-input"
        placeholder={disabled && disabledReason ? disabledReason : t('chat.composerPlaceholder')}
        rows={1}
        value={body}
        disabled={disabled}
        aria-invalid={tooLong || error !== null || undefined}
        aria-describedby={reply && onCancelReply ? replyBarId : undefined}
        // Only when it mounts (entering a room), never on a later render.
        autoFocus={autoFocus}
        {...combobox}
        onChange={(e) => {
          setBody(e.target.value);
          setError(null);
          follow(e.target);
          if (e.target.value.trim()) onTyping();
        }}
        onSelect={(e) => follow(e.currentTarget)}
        onKeyDown={onKeyDown}
        onBlur={() => setTrigger(null)}
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
