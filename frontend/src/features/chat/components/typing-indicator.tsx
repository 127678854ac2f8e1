import { t } from '@/lib/i18n';

import type { TypingEntry } from '../api/chat-state';

export function TypingIndicator({ typing }: { typing: TypingEntry[] }) {
  const names = typing.map((e) => e.user.display_name);
  let text = '';
  if (names.length === 1) text = t('chat.typing.one', { a: names[0] as string });
  else if (names.length === 2) text = t('chat.typing.two', { a: names[0] as string, b: names[1] as string });
  else if (names.length > 2) text = t('chat.typing.many');
  return (
    <div className="typing" data-testid="typing-indicator">
      {text ? (
        <>
          <span className="typing__dots" aria-hidden="true">
            <i />
            <i />
            <i />
          </span>
          {text}
        </>
      ) : null}
    </div>
  );
}
