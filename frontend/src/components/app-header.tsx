import type { ReactNode } from 'react';

import type { ConnectionStatus } from '@/lib/connection';

import { StatusIndicator } from './status-indicator';

interface Props {
  leading?: ReactNode;
  title: ReactNode;
  subtitle?: ReactNode;
  status: ConnectionStatus;
  retryAt?: number | null;
  actions?: ReactNode;
}

export function AppHeader({ leading, title, subtitle, status, retryAt, actions }: Props) {
  return (
    <header className="app-header">
      {leading}
      <div className="app-header__titles">
        <h1 className="app-header__title">{title}</h1>
        {subtitle ? <p className="app-header__subtitle">{subtitle}</p> : null}
      </div>
      <div className="app-header__actions">
        <StatusIndicator status={status} retryAt={retryAt} />
        {actions}
      </div>
    </header>
  );
}
