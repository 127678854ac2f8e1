import { Translated } from '@/components/translated';
import { UserName } from '@/components/user-name';
import { t } from '@/lib/i18n';
import { tokensToNames } from '@/lib/mentions';
import type { ReplyRef, UserRef } from '@/lib/protocol';

import './replies-reactions.css';

interface Props {
  /** The element id the message box is described by. */
  id: string;
  quote: ReplyRef;
  /** The original's mentions, so its `<@id>` tokens read as names. */
  mentions?: readonly UserRef[];
  onCancel: () => void;
}

/** "Replying to Jun: …" above the message box, with its cancel button (Escape in the box too). */
export function ReplyBar({ id, quote, mentions = [], onCancel }: Props) {
  return (
    <div className="reply-bar" data-testid="reply-bar" data-reply-to={quote.id}>
      <span className="reply-bar__text" id={id}>
        <Translated
          id="chat.replyingTo"
          params={{
            name: <UserName user={quote.author} />,
            excerpt: (
              <span className="reply-bar__excerpt" dir="auto">
                {tokensToNames(quote.excerpt, mentions)}
              </span>
            ),
          }}
        />
      </span>
      <button
        type="button"
        className="reply-bar__cancel"
        aria-label={t('chat.cancelReply')}
        title={t('chat.cancelReply')}
        data-testid="cancel-reply"
        onClick={onCancel}
      >
        <span aria-hidden="true">×</span>
      </button>
    </div>
  );
}
