import { Avatar } from '@/components/avatar';
import { UserName } from '@/components/user-name';
import { t } from '@/lib/i18n';
import type { User } from '@/lib/protocol';

import type { PendingMessage } from '../api/chat-state';
import { errorText } from '../utils/error-text';
import { MessageBody } from './message-body';
import { ReplyQuote } from './reply-quote';

interface Props {
  pending: PendingMessage;
  continued: boolean;
  you: User;
  /** Nothing answers (neither socket nor HTTP): it goes out when a connection is back. */
  waiting: boolean;
  /** The server's limit, for the text of a `body_too_long` refusal. */
  messageMaxLength: number;
  onRetry: (clientId: string) => void;
  onDiscard: (clientId: string) => void;
}

/**
 * Refusals that the same message can never get past: only discarding makes sense (a mention
 * refusal puts the text back in the message box to be fixed).
 */
const FINAL_ERRORS = new Set(['room_archived', 'too_many_mentions', 'room_mention_not_allowed', 'invalid_reply']);

/** A reply refused because its original was deleted meanwhile: the same message can never get past that either. */
const replyGone = (p: PendingMessage) => p.replyTo !== undefined && p.error?.code === 'message_deleted';

function reason(p: PendingMessage, messageMaxLength: number): string {
  const e = p.error;
  if (!e) return '';
  const text = replyGone(p) ? t('error.reply_deleted') : errorText(e.code, e.detail, { messageMaxLength });
  return e.retryAfter ? `${text} ${t('chat.retryIn', { seconds: e.retryAfter })}` : text;
}

export function PendingRow({ pending, continued, you, waiting, messageMaxLength, onRetry, onDiscard }: Props) {
  const failed = pending.status === 'failed';
  const delivery = waiting ? 'waiting' : 'sending';
  const retryable = !FINAL_ERRORS.has(pending.error?.code ?? '') && !replyGone(pending);
  return (
    <li
      className={`message message--own message--${failed ? 'failed' : 'pending'}${continued ? ' message--continued' : ''}`}
      data-testid="message"
      data-pending={pending.status}
      data-waiting={!failed && waiting ? 'true' : undefined}
      data-own
    >
      <div className="message__gutter">
        <Avatar user={you} />
      </div>
      <div className="message__main">
        {continued ? null : (
          <div className="message__meta">
            <span className="message__author">
              <UserName user={you} testId="message-author" />
              <span className="message__you"> ({t('chat.you')})</span>
            </span>
          </div>
        )}
        {pending.replyTo ? <ReplyQuote reply={pending.replyTo} /> : null}
        <div className="message__bubble" data-testid="message-body">
          <MessageBody text={pending.body} mentions={pending.mentions} youId={you.id} />
        </div>
        {failed ? null : (
          <span className={`message__state message__state--${delivery}`} data-testid="pending-state" data-state={delivery}>
            {t(waiting ? 'chat.waiting' : 'chat.sending')}
          </span>
        )}
        {failed ? (
          <div className="message__failure" role="alert">
            <span data-testid="send-error" data-code={pending.error?.code}>
              <strong>{t('chat.failed')}:</strong> {reason(pending, messageMaxLength)}
            </span>
            <span className="message__failure-buttons">
              {retryable ? (
                <button type="button" className="chip chip--primary" data-testid="retry-send" onClick={() => onRetry(pending.clientId)}>
                  {t('chat.retry')}
                </button>
              ) : null}
              <button type="button" className="chip" data-testid="discard-send" onClick={() => onDiscard(pending.clientId)}>
                {t('chat.discard')}
              </button>
            </span>
          </div>
        ) : null}
      </div>
    </li>
  );
}
