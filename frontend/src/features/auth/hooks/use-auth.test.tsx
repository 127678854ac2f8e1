import { renderHook, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import { ApiError } from '@/lib/api-client';
import { me } from '@/test/fake-websocket';

import type { AuthApi } from '../api/auth-api';
import { useAuth } from './use-auth';

const config = { guest_enabled: true, google_enabled: false, google_login_url: null };

function api(meImpl: () => Promise<unknown>) {
  return {
    prepare: vi.fn(async () => undefined),
    config: vi.fn(async () => config),
    me: vi.fn(meImpl),
  } as unknown as AuthApi & { prepare: ReturnType<typeof vi.fn> };
}

describe('useAuth', () => {
  it('fetches the CSRF token at start and reports the signed-in user', async () => {
    const authApi = api(async () => me);
    const { result } = renderHook(() => useAuth(authApi));
    await waitFor(() => expect(result.current.state).toEqual({ status: 'signed-in', config, user: me }));
    expect(authApi.prepare).toHaveBeenCalledTimes(1);
  });

  it('treats 401 from /api/me/ as signed out', async () => {
    const authApi = api(async () => {
      throw new ApiError(401, 'not_authenticated', '');
    });
    const { result } = renderHook(() => useAuth(authApi));
    await waitFor(() => expect(result.current.state).toEqual({ status: 'signed-out', config }));
  });
});
