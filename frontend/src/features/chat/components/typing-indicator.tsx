import { Translated } from '@/components/translated';
import { UserName } from '@/components/user-name';
import { t } from '@/lib/i18n';

import type { TypingEntry } from '../api/chat-state';

export function TypingIndicator({ typing }: { typing: TypingEntry[] }) {
  const [a, b] = typing.map((e) => <UserName key={e.user.id} user={e.user} />);
  let text = null;
  if (typing.length === 1) text = <Translated id="chat.typing.one" params={{ a }} />;
  else if (typing.length === 2) text = <Translated id="chat.typing.two" params={{ a, b }} />;
  else if (typing.length > 2) text = t('chat.typing.many');
  return (
    <div className="typing" data-testid="typing-indicator">
      {text ? (
        <>
          <span className="typing__dots" aria-hidden="true">
            <i />
            <i />
            <i />
          </span>
          <span className="typing__text">{text}</span>
        </>
      ) : null}
    </div>
  );
}
