import { t } from '@/lib/i18n';
import type { MessageKey } from '@/lib/i18n';
import { NOTIFY_LEVELS } from '@/lib/protocol';
import type { NotifyLevel } from '@/lib/protocol';

interface Props {
  notify: NotifyLevel;
  onMarkRead: () => void;
  onNotify: (notify: NotifyLevel) => void;
}

/** The room's "Mark all as read" and its notification level, in the header. */
export function RoomControls({ notify, onMarkRead, onNotify }: Props) {
  return (
    <div className="room-controls">
      <button
        type="button"
        className="button button--ghost room-controls__read"
        aria-label={t('chat.markAllRead')}
        title={t('chat.markAllRead')}
        onClick={onMarkRead}
        data-testid="mark-room-read"
      >
        <span aria-hidden="true">✓</span>
        <span className="room-controls__text" aria-hidden="true">
          {t('chat.markAllRead')}
        </span>
      </button>
      <label className="room-controls__notify">
        <span className="sr-only">{t('chat.notifyLabel')}</span>
        <select value={notify} onChange={(e) => onNotify(e.target.value as NotifyLevel)} data-testid="notify-select">
          {NOTIFY_LEVELS.map((level) => (
            <option key={level} value={level}>
              {t(`chat.notify.${level}` as MessageKey)}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}
