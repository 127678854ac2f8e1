import type { UserRef } from '@/lib/protocol';

import { bodyParts } from '../utils/body-parts';

interface Props {
  text: string;
  /** The people the server found mentioned (`message.mentions`): their `<@id>` shows as `@Name`. */
  mentions?: readonly UserRef[];
  /** The server found `@room` in it. */
  mentionsRoom?: boolean;
  /** Your id: a mention of you stands out more. */
  youId?: number;
}

/**
 * Plain text with http(s) links and mentions; React escapes the text, so no markup can get
 * through. `dir="auto"` isolates it and takes its direction from its own first strong letter, so
 * right-to-left text or an override in it cannot reorder what follows (the edited mark). A
 * mentioned name is the user's current one, isolated in <bdi> like every name.
 */
export function MessageBody({ text, mentions, mentionsRoom = false, youId }: Props) {
  return (
    <span className="message__body" dir="auto">
      {bodyParts(text, mentions, mentionsRoom).map((part, i) => {
        switch (part.kind) {
          case 'link':
            return (
              <a key={i} href={part.href} target="_blank" rel="noopener noreferrer">
                {part.text}
              </a>
            );
          case 'mention':
            return (
              <span
                key={i}
                className={`mention${part.user.id === youId ? ' mention--me' : ''}`}
                data-testid="mention"
                data-user-id={part.user.id}
              >
                @<bdi>{part.user.display_name}</bdi>
              </span>
            );
          case 'room':
            return (
              <span key={i} className="mention mention--room" data-testid="mention-room">
                {part.text}
              </span>
            );
          default:
            return <span key={i}>{part.text}</span>;
        }
      })}
    </span>
  );
}
