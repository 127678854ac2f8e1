import { useCallback, useSyncExternalStore } from 'react';

import type { ConnectionStatus } from '@/lib/connection';
import { t } from '@/lib/i18n';

interface Props {
  status: ConnectionStatus;
  /** When the WebSocket tries again: shown as a countdown while reconnecting or offline. */
  retryAt?: number | null;
}

const HINTS: Partial<Record<ConnectionStatus, string>> = {
  http: t('status.httpHint'),
  offline: t('status.offlineHint'),
};

export function StatusIndicator({ status, retryAt = null }: Props) {
  const waiting = status === 'reconnecting' || status === 'offline';
  const seconds = useSecondsUntil(waiting ? retryAt : null);
  return (
    <span
      className={`status status--${status}`}
      data-testid="connection-status"
      data-state={status}
      data-status={status}
      role="status"
      title={HINTS[status]}
    >
      <span className="status__dot" aria-hidden="true" />
      <span className="status__label">{t(`status.${status}`)}</span>
      {seconds ? (
        <span className="status__retry" data-testid="connection-retry" data-seconds={seconds}>
          {t('status.retryIn', { seconds })}
        </span>
      ) : null}
    </span>
  );
}

/** Whole seconds left until `at` (rounded up), re-rendering while it counts down; null without one. */
function useSecondsUntil(at: number | null): number | null {
  // The clock is read as an external store: checked twice a second, re-rendering only when the
  // whole number of seconds left changes.
  const subscribe = useCallback(
    (onTick: () => void) => {
      if (at === null) return () => {};
      const timer = setInterval(onTick, 500);
      return () => clearInterval(timer);
    },
    [at],
  );
  const read = () => (at === null ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000)));
  return useSyncExternalStore(subscribe, read, read);
}
