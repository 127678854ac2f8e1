import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { ApiError } from '@/lib/api-client';
import { me } from '@/test/fake-websocket';

import type { AuthApi, AuthConfig } from '../api/auth-api';
import { SignInScreen } from './sign-in-screen';

const config = (c: Partial<AuthConfig>): AuthConfig => ({
  guest_enabled: true,
  google_enabled: false,
  google_login_url: null,
  limits: { message_max_length: 4000, display_name_max_length: 32 },
  ...c,
});

function renderWith(c: Partial<AuthConfig>, guest = vi.fn(async () => me)) {
  const onSignedIn = vi.fn();
  const googleForm = vi.fn(async (path: string) => ({ action: `http://api.test${path}`, csrfToken: 'tok-1' }));
  render(<SignInScreen config={config(c)} authApi={{ guest, googleForm } as unknown as AuthApi} onSignedIn={onSignedIn} />);
  return { onSignedIn, guest };
}

describe('SignInScreen', () => {
  it('signs in as a guest with the trimmed name', async () => {
    const { onSignedIn, guest } = renderWith({});
    await userEvent.type(screen.getByLabelText('Display name'), '  Mina  {Enter}');
    expect(guest).toHaveBeenCalledWith('Mina');
    expect(onSignedIn).toHaveBeenCalledWith(me);
    expect(screen.queryByRole('button', { name: /Google/ })).toBeNull();
  });

  it('holds the name to the length the server allows', () => {
    renderWith({ limits: { message_max_length: 4000, display_name_max_length: 12 } });
    expect(screen.getByLabelText('Display name')).toHaveAttribute('maxLength', '12');
  });

  it('shows no connection status: nothing has connected yet', () => {
    renderWith({});
    expect(screen.queryByTestId('connection-status')).toBeNull();
    expect(screen.queryByText('Connected')).toBeNull();
  });

  it('offers Google as a CSRF-protected form POST when the server enables it', async () => {
    renderWith({ google_enabled: true, google_login_url: '/auth/login/google-oauth2/' });
    const button = screen.getByRole('button', { name: /Sign in with Google/ });
    await waitFor(() => expect(button).toBeEnabled());
    const form = button.closest('form');
    expect(form).toHaveAttribute('method', 'post');
    expect(form).toHaveAttribute('action', 'http://api.test/auth/login/google-oauth2/');
    expect(form?.querySelector('input[name="csrfmiddlewaretoken"]')).toHaveValue('tok-1');
  });

  it('says so clearly when no way to sign in is enabled', () => {
    renderWith({ guest_enabled: false });
    expect(screen.getByRole('alert')).toHaveTextContent('Sign-in is not available');
    expect(screen.queryByLabelText('Display name')).toBeNull();
  });

  it('shows the server’s reason when the name is refused', async () => {
    const guest = vi.fn(async () => {
      throw new ApiError(400, 'invalid_field', 'Invalid input.', null, { display_name: ['Too long.'] });
    });
    renderWith({}, guest);
    await userEvent.type(screen.getByLabelText('Display name'), 'x{Enter}');
    expect(await screen.findByRole('alert')).toHaveTextContent('Could not sign in: Too long.');
  });
});
