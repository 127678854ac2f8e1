import { tCount } from '@/lib/i18n';

interface Props {
  slug: string;
  unread: number;
  mentions: number;
}

/**
 * A room's unread count and, apart, its unread mentions ("@ 1"). Screen readers hear one phrase
 * ("3 unread, 1 mention") rather than bare numbers.
 */
export function UnreadBadges({ slug, unread, mentions }: Props) {
  if (unread <= 0) return null;
  const label = [tCount('rooms.unread', unread), mentions > 0 ? tCount('rooms.mentions', mentions) : null].filter(Boolean).join(', ');
  return (
    <span className="unread-badges" role="group" aria-label={label} data-testid={`room-badges-${slug}`}>
      <span className="badge badge--unread" data-testid={`room-unread-${slug}`} data-count={unread}>
        {unread}
      </span>
      {mentions > 0 ? (
        <span className="badge badge--mention" data-testid={`room-mentions-${slug}`} data-count={mentions}>
          @ {mentions}
        </span>
      ) : null}
    </span>
  );
}
