import { UserName } from '@/components/user-name';
import { t } from '@/lib/i18n';
import { tokensToNames } from '@/lib/mentions';
import type { ReplyRef, UserRef } from '@/lib/protocol';

import './replies-reactions.css';

interface Props {
  reply: ReplyRef;
  /** The original's mentions where it is held, so its `<@id>` tokens read as names. */
  mentions?: readonly UserRef[];
  /** Brings the original into view; without it the quote is not a control (a message not sent yet). */
  onJump?: (id: number, seq: number) => void;
}

/** What a reply quotes: its original's author and first line, or that the original was deleted. */
export function ReplyQuote({ reply, mentions = [], onJump }: Props) {
  const text = reply.deleted ? t('chat.originalDeleted') : tokensToNames(reply.excerpt, mentions);
  const classes = `reply-quote${reply.deleted ? ' reply-quote--deleted' : ''}`;
  const content = (
    <>
      <span className="reply-quote__author">
        <UserName user={reply.author} />
      </span>
      <span className="reply-quote__excerpt" dir="auto" data-testid="reply-quote-excerpt">
        {text}
      </span>
    </>
  );
  if (!onJump) {
    return (
      <div className={classes} data-testid="reply-quote" data-reply-to={reply.id} data-deleted={reply.deleted || undefined}>
        {content}
      </div>
    );
  }
  const label = t('chat.goToMessage', { name: reply.author.display_name, excerpt: text });
  return (
    <button
      type="button"
      className={classes}
      aria-label={label}
      title={label}
      data-testid="reply-quote"
      data-reply-to={reply.id}
      data-deleted={reply.deleted || undefined}
      onClick={() => onJump(reply.id, reply.seq)}
    >
      {content}
    </button>
  );
}
