import { renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import { me } from '@/test/fake-websocket';

import type { AuthApi, AuthConfig, AuthConfigAnswer } from '../api/auth-api';
import { useAuth } from './use-auth';

const config: AuthConfig = {
  guest_enabled: true,
  google_enabled: false,
  google_login_url: null,
  limits: { message_max_length: 4000, display_name_max_length: 32 },
};

function api(answer: () => Promise<AuthConfigAnswer>) {
  const prepare = vi.fn(async () => undefined);
  const config = vi.fn(answer);
  return { authApi: { prepare, config } as unknown as AuthApi, prepare, config };
}

describe('useAuth', () => {
  it('fetches the CSRF token at start and reports the signed-in user named by the config', async () => {
    const { authApi, prepare, config: load } = api(async () => ({ ...config, user: me }));
    const { result } = renderHook(() => useAuth(authApi));
    await waitFor(() => expect(result.current.state).toEqual({ status: 'signed-in', config, user: me }));
    expect(prepare).toHaveBeenCalledTimes(1);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('is signed out when the config names no user', async () => {
    const { authApi } = api(async () => ({ ...config, user: null }));
    const { result } = renderHook(() => useAuth(authApi));
    await waitFor(() => expect(result.current.state).toEqual({ status: 'signed-out', config }));
  });

  it('keeps the user out of the config it holds, so sign-in and sign-out cannot leave it stale', async () => {
    const { authApi } = api(async () => ({ ...config, user: null }));
    const { result } = renderHook(() => useAuth(authApi));
    await waitFor(() => expect(result.current.state.status).toBe('signed-out'));
    const state = result.current.state;
    expect(state.status === 'signed-out' && 'user' in state.config).toBe(false);
  });
});
