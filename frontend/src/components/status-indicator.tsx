import { t } from '@/lib/i18n';
import type { ConnectionStatus } from '@/lib/socket';

export function StatusIndicator({ status }: { status: ConnectionStatus }) {
  return (
    <span
      className={`status status--${status}`}
      data-testid="connection-status"
      data-status={status}
      role="status"
      title={status === 'http' ? t('status.httpHint') : undefined}
    >
      <span className="status__dot" aria-hidden="true" />
      <span className="status__label">{t(`status.${status}`)}</span>
    </span>
  );
}
