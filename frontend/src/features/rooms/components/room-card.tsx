import { useRef } from 'react';

import { t } from '@/lib/i18n';
import type { Room } from '@/lib/protocol';
import { formatAgo, formatFull } from '@/utils/format';

import { UnreadBadges } from './unread-badges';

interface Props {
  room: Room;
  /** Unread messages and mentions; null for a room the user never entered (nothing to show). */
  counts: { unread: number; mentions: number } | null;
  onOpen: (slug: string) => void;
  onMarkRead: (slug: string) => void;
}

export function RoomCard({ room, counts, onOpen, onMarkRead }: Props) {
  const link = useRef<HTMLAnchorElement>(null);
  const online = room.online_count ?? 0;
  const unread = counts?.unread ?? 0;
  return (
    <li className="room-list__item">
      <a
        ref={link}
        className={`room-card${room.is_archived ? ' room-card--archived' : ''}${unread > 0 ? ' room-card--unread' : ''}`}
        href={`#/rooms/${encodeURIComponent(room.slug)}`}
        data-testid={`room-card-${room.slug}`}
        onClick={(e) => {
          e.preventDefault();
          onOpen(room.slug);
        }}
      >
        <span className="room-card__top">
          <bdi className="room-card__name">{room.name}</bdi>
          {room.is_archived ? <span className="tag">{t('rooms.archived')}</span> : null}
          {/* The space keeps the link's spoken name "General 3 unread", not "General3 unread". */}
          {counts ? (
            <>
              {' '}
              <UnreadBadges slug={room.slug} unread={counts.unread} mentions={counts.mentions} />
            </>
          ) : null}
        </span>
        {room.description ? (
          <span className="room-card__desc" dir="auto">
            {room.description}
          </span>
        ) : null}
        <span className="room-card__meta">
          <span
            className={`room-card__online${online > 0 ? ' room-card__online--live' : ''}`}
            data-testid={`room-online-${room.slug}`}
            data-count={online}
          >
            <span className="dot" aria-hidden="true" />
            {t('rooms.online', { count: online })}
          </span>
          <span className="room-card__activity" title={room.last_message_at ? formatFull(room.last_message_at) : undefined}>
            {room.last_message_at ? t('rooms.lastActivity', { when: formatAgo(room.last_message_at) }) : t('rooms.noActivity')}
          </span>
        </span>
      </a>
      {unread > 0 ? (
        <button
          type="button"
          className="room-card__mark-read"
          aria-label={t('rooms.markRead', { name: room.name })}
          data-testid={`mark-read-${room.slug}`}
          onClick={() => {
            onMarkRead(room.slug);
            // The button goes once the room is read: keep keyboard users on the room.
            link.current?.focus();
          }}
        >
          <span aria-hidden="true">✓</span>
        </button>
      ) : null}
    </li>
  );
}
