import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { AppHeader } from './app-header';

function stubNotification(permission: NotificationPermission) {
  const Notification = {
    permission,
    requestPermission: vi.fn(async () => {
      Notification.permission = 'granted';
      return 'granted';
    }),
  };
  vi.stubGlobal('Notification', Notification);
  return Notification;
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('Enable notifications', () => {
  it('is offered while the browser has not asked, asks only on click, and goes once answered', async () => {
    const notification = stubNotification('default');
    render(<AppHeader title="Rooms" offerNotifications />);
    expect(notification.requestPermission).not.toHaveBeenCalled();
    await userEvent.click(screen.getByRole('button', { name: 'Enable notifications' }));
    expect(notification.requestPermission).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole('button', { name: 'Enable notifications' })).toBeNull();
  });

  it('is not offered once decided, nor where there are no notifications, nor when not asked for', () => {
    stubNotification('denied');
    const { unmount } = render(<AppHeader title="Rooms" offerNotifications />);
    expect(screen.queryByTestId('enable-notifications')).toBeNull();
    unmount();
    vi.unstubAllGlobals();
    render(<AppHeader title="Rooms" offerNotifications />);
    expect(screen.queryByTestId('enable-notifications')).toBeNull();
  });
});
