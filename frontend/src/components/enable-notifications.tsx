import { useNotificationPermission } from '@/hooks/use-notification-permission';
import { t } from '@/lib/i18n';
import { requestNotificationPermission } from '@/lib/notifications';

/**
 * Offered only while the browser has not been asked: the question is put from this click alone
 * (never on load), and once answered, either way, the button goes. On a phone only its bell
 * shows; its name stays the words.
 */
export function EnableNotificationsButton() {
  const permission = useNotificationPermission();
  if (permission !== 'default') return null;
  return (
    <button
      type="button"
      className="button button--ghost enable-notifications"
      aria-label={t('notify.enable')}
      title={t('notify.enable')}
      onClick={() => void requestNotificationPermission().catch(() => undefined)}
      data-testid="enable-notifications"
    >
      <svg className="enable-notifications__bell" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true">
        <path
          fill="currentColor"
          d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
        />
      </svg>
      <span className="enable-notifications__text" aria-hidden="true">
        {t('notify.enable')}
      </span>
    </button>
  );
}
