import { useEffect, useRef, useState } from 'react';
import type { KeyboardEvent } from 'react';

import { Avatar } from '@/components/avatar';
import { UserName } from '@/components/user-name';
import { t } from '@/lib/i18n';
import { namesToTokens, tokensToNames } from '@/lib/mentions';
import type { Message, UserRef } from '@/lib/protocol';
import { formatFull, formatTime } from '@/utils/format';

import type { SendFailure } from '../api/chat-state';
import { describeError } from '../utils/error-text';
import { mentionsYou } from '../utils/mentions-you';
import { MessageBody } from './message-body';
import { ReactionBar } from './reaction-bar';
import { ReplyQuote } from './reply-quote';

interface Props {
  message: Message;
  own: boolean;
  continued: boolean;
  canEdit: boolean;
  canDelete: boolean;
  /** The server's limit, for the text of a `body_too_long` refusal. */
  messageMaxLength: number;
  /** May reject with the server's refusal: the row shows it under the message. */
  onEdit: (id: number, body: string) => Promise<void>;
  /** May reject like `onEdit`. */
  onDelete: (message: Message) => Promise<void>;
  /** Your id: a message that mentions you (or @room, not yours) is marked. */
  youId?: number;
  /** Briefly marked: the message a notification was opened for. */
  highlighted?: boolean;
  /** The message the context view was opened at: marked for screen readers too (`aria-current`). */
  current?: boolean;
  /** Offers Reply (not in an archived room). */
  onReply?: (message: Message) => void;
  /** Offers React and toggling the chips; without it the reactions are read-only. */
  onReact?: (messageId: number, emoji: string, on: boolean) => void;
  /** Brings the original of a reply into view; its seq says how far back it is. */
  onJumpTo?: (id: number, seq?: number) => void;
  /** The original's mentions where it is held, for its quote. */
  quoteMentions?: readonly UserRef[];
  /** The server refused the user's last reaction to this message. */
  reactFailure?: SendFailure | null;
}

export function MessageRow(props: Props) {
  const { message, own, continued, canEdit, canDelete, messageMaxLength, onEdit, onDelete, youId, highlighted = false } = props;
  const { current = false, onReply, onReact, onJumpTo, quoteMentions, reactFailure = null } = props;
  const [picking, setPicking] = useState(false);
  const reactButton = useRef<HTMLButtonElement>(null);
  const mentioned = mentionsYou(message, youId);
  const [editingNow, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // A live change (an archive, a delete by a moderator) can take the right to edit away mid-edit.
  const editing = editingNow && canEdit && !message.deleted;

  const save = async (body: string) => {
    setError(null);
    try {
      await onEdit(message.id, body);
      setEditing(false);
    } catch (err) {
      // The editor stays open with the text, so nothing typed is lost.
      setError(describeError(err, { messageMaxLength }));
    }
  };

  const remove = async () => {
    setError(null);
    try {
      await onDelete(message);
    } catch (err) {
      setError(describeError(err, { messageMaxLength }));
    } finally {
      setConfirming(false);
    }
  };
  const classes = [
    'message',
    own && 'message--own',
    continued && 'message--continued',
    message.deleted && 'message--deleted',
    mentioned && 'mentions-me',
    highlighted && 'message--highlighted',
  ]
    .filter(Boolean)
    .join(' ');

  return (
    <li
      className={classes}
      data-testid="message"
      data-message-id={message.id}
      data-seq={message.seq}
      data-own={own || undefined}
      aria-current={current || undefined}
    >
      <div className="message__gutter">{continued ? null : <Avatar user={message.author} />}</div>
      <div className="message__main">
        {current ? <span className="sr-only">{t('chat.contextTarget')}</span> : null}
        {mentioned ? <span className="sr-only">{t('chat.mentionsYou')}</span> : null}
        {continued ? null : (
          <div className="message__meta">
            <span className="message__author">
              <UserName user={message.author} testId="message-author" />
              {own ? <span className="message__you"> ({t('chat.you')})</span> : null}
            </span>
            <time className="message__time" dateTime={message.created_at} title={formatFull(message.created_at)}>
              {formatTime(message.created_at)}
            </time>
          </div>
        )}
        {message.reply_to ? <ReplyQuote reply={message.reply_to} mentions={quoteMentions} onJump={onJumpTo} /> : null}
        {editing ? (
          <EditBox
            initial={message.body}
            mentions={message.mentions ?? []}
            onCancel={() => {
              setEditing(false);
              setError(null);
            }}
            onSave={save}
          />
        ) : (
          <div className="message__bubble" data-testid="message-body">
            {message.deleted ? (
              <span className="message__tombstone">{t('chat.deleted')}</span>
            ) : (
              <MessageBody text={message.body} mentions={message.mentions} mentionsRoom={message.mentions_room} youId={youId} />
            )}
            {message.edited_at && !message.deleted ? (
              <span className="message__edited" title={formatFull(message.edited_at)}>
                {' '}
                ({t('chat.edited')})
              </span>
            ) : null}
          </div>
        )}
        {!message.deleted && !editing ? (
          <ReactionBar
            reactions={message.reactions ?? []}
            youId={youId}
            onReact={onReact ? (emoji, on) => onReact(message.id, emoji, on) : undefined}
            picking={picking}
            onPickerClose={() => {
              setPicking(false);
              reactButton.current?.focus();
            }}
            failure={reactFailure}
            messageMaxLength={messageMaxLength}
          />
        ) : null}
        {!message.deleted && !editing && (canEdit || canDelete || onReply || onReact) ? (
          <div className={`message__actions${confirming || (picking && onReact) ? ' message__actions--open' : ''}`}>
            {confirming ? (
              <>
                <span className="message__confirm">{t('chat.confirmDelete')}</span>
                <button
                  type="button"
                  className="chip chip--danger"
                  data-testid="confirm-delete"
                  onClick={() => void remove()}
                >
                  {t('chat.delete')}
                </button>
                <button type="button" className="chip" onClick={() => setConfirming(false)}>
                  {t('chat.cancel')}
                </button>
              </>
            ) : (
              <>
                {onReply ? (
                  <button
                    type="button"
                    className="chip"
                    aria-label={t('chat.replyTo', { name: message.author.display_name })}
                    data-testid="reply-message"
                    onClick={() => onReply(message)}
                  >
                    {t('chat.reply')}
                  </button>
                ) : null}
                {onReact ? (
                  <button
                    ref={reactButton}
                    type="button"
                    className="chip"
                    aria-label={t('chat.reactTo', { name: message.author.display_name })}
                    aria-expanded={picking}
                    data-testid="react-message"
                    onClick={() => setPicking((open) => !open)}
                  >
                    {t('chat.react')}
                  </button>
                ) : null}
                {canEdit ? (
                  <button type="button" className="chip" data-testid="edit-message" onClick={() => setEditing(true)}>
                    {t('chat.edit')}
                  </button>
                ) : null}
                {canDelete ? (
                  <button type="button" className="chip" data-testid="delete-message" onClick={() => setConfirming(true)}>
                    {t('chat.delete')}
                  </button>
                ) : null}
              </>
            )}
          </div>
        ) : null}
        {error ? (
          <p className="message__error" role="alert" data-testid="message-action-error">
            {t('chat.actionFailed', { detail: error })}
          </p>
        ) : null}
      </div>
    </li>
  );
}

interface EditBoxProps {
  /** The body as stored, with `<@id>` tokens. */
  initial: string;
  /** Whom its tokens name: edited as `@Name`, saved as tokens again. */
  mentions: UserRef[];
  onSave: (body: string) => Promise<void>;
  onCancel: () => void;
}

function EditBox({ initial: stored, mentions, onSave, onCancel }: EditBoxProps) {
  const [initial] = useState(() => tokensToNames(stored, mentions));
  const [body, setBody] = useState(initial);
  const [busy, setBusy] = useState(false);
  const ref = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.focus();
    el.setSelectionRange(el.value.length, el.value.length);
  }, []);

  const save = async () => {
    const trimmed = body.trim();
    if (!trimmed || busy) return;
    if (body === initial) return onCancel();
    setBusy(true);
    try {
      await onSave(namesToTokens(body, mentions));
    } finally {
      setBusy(false);
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      onCancel();
    } else if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void save();
    }
  };

  return (
    <div className="edit-box">
      <textarea
        ref={ref}
        aria-label={t('chat.editLabel')}
        data-testid="edit-input"
        value={body}
        rows={Math.min(6, body.split('\n').length)}
        onChange={(e) => setBody(e.target.value)}
        onKeyDown={onKeyDown}
      />
      <div className="edit-box__buttons">
        <button type="button" className="chip" onClick={onCancel}>
          {t('chat.cancel')}
        </button>
        <button type="button" className="chip chip--primary" data-testid="save-edit" disabled={busy || !body.trim()} onClick={() => void save()}>
          {t('chat.save')}
        </button>
      </div>
    </div>
  );
}
