import { useEffect, useRef } from 'react';
import type { ReactNode } from 'react';

import type { ConnectionStatus } from '@/lib/connection';

import { EnableNotificationsButton } from './enable-notifications';
import { StatusIndicator } from './status-indicator';

interface Props {
  leading?: ReactNode;
  title: ReactNode;
  subtitle?: ReactNode;
  /** The connection to report; without one (nothing has connected yet) no status is shown. */
  status?: ConnectionStatus;
  retryAt?: number | null;
  actions?: ReactNode;
  /** Offer "Enable notifications" (signed-in screens), where the browser has not been asked yet. */
  offerNotifications?: boolean;
  /**
   * Move focus to the title when the header mounts, i.e. when its screen opens, so keyboard and
   * screen-reader users start at the top of the new screen. Later renders leave focus alone.
   */
  focusTitle?: boolean;
}

export function AppHeader({ leading, title, subtitle, status, retryAt, actions, offerNotifications = false, focusTitle = false }: Props) {
  const titleRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focusTitle) titleRef.current?.focus();
  }, [focusTitle]);
  return (
    <header className="app-header">
      {leading}
      <div className="app-header__titles">
        <h1 className="app-header__title" ref={titleRef} tabIndex={focusTitle ? -1 : undefined}>
          {title}
        </h1>
        {subtitle ? <p className="app-header__subtitle">{subtitle}</p> : null}
      </div>
      <div className="app-header__actions">
        {status ? <StatusIndicator status={status} retryAt={retryAt} /> : null}
        {offerNotifications ? <EnableNotificationsButton /> : null}
        {actions}
      </div>
    </header>
  );
}
