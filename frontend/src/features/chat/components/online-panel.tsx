import { Avatar } from '@/components/avatar';
import { t } from '@/lib/i18n';
import type { UserRef } from '@/lib/protocol';

interface Props {
  online: UserRef[];
  count: number;
  youId: number;
  open: boolean;
}

export function OnlinePanel({ online, count, youId, open }: Props) {
  return (
    <aside className={`online-panel${open ? ' online-panel--open' : ''}`} id="online-panel" aria-label={t('chat.online', { count })}>
      <h2 className="online-panel__title">{t('chat.online', { count })}</h2>
      <ul className="online-panel__list" data-testid="online-list">
        {online.map((u) => (
          <li key={u.id} className="online-panel__user" data-testid="online-user">
            <Avatar user={u} size={28} />
            <span className="online-panel__name">
              {u.display_name}
              {u.id === youId ? <span className="muted"> ({t('chat.you')})</span> : null}
            </span>
          </li>
        ))}
      </ul>
    </aside>
  );
}
