import { Avatar } from '@/components/avatar';
import { UserName } from '@/components/user-name';
import { t } from '@/lib/i18n';
import type { UserRef } from '@/lib/protocol';

interface Props {
  online: UserRef[];
  count: number;
  youId: number;
  open: boolean;
  /** Not live (neither socket nor HTTP answers): the list is the last one known. */
  stale: boolean;
}

export function OnlinePanel({ online, count, youId, open, stale }: Props) {
  // The server lists a bounded number of users; the count is exact.
  const more = count - online.length;
  return (
    <aside
      className={`online-panel${open ? ' online-panel--open' : ''}${stale ? ' online-panel--stale' : ''}`}
      id="online-panel"
      aria-label={t('chat.online', { count })}
    >
      <h2 className="online-panel__title">{t('chat.online', { count })}</h2>
      {stale ? (
        <p className="online-panel__stale" data-testid="online-stale">
          {t('chat.onlineStale')}
        </p>
      ) : null}
      <ul className="online-panel__list" data-testid="online-list" data-stale={stale ? 'true' : 'false'}>
        {online.map((u) => (
          <li key={u.id} className="online-panel__user" data-testid="online-user">
            <Avatar user={u} size={28} />
            <span className="online-panel__name">
              <UserName user={u} />
              {u.id === youId ? <span className="online-panel__you muted"> ({t('chat.you')})</span> : null}
            </span>
          </li>
        ))}
      </ul>
      {more > 0 ? (
        <p className="online-panel__more muted" data-testid="online-more" data-count={more}>
          {t('chat.onlineMore', { count: more })}
        </p>
      ) : null}
    </aside>
  );
}
