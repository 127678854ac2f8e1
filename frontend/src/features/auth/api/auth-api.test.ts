import { describe, expect, it, vi } from 'vitest';

import { createApiClient } from '@/lib/api-client';

import { createAuthApi } from './auth-api';

const limits = { message_max_length: 4000, display_name_max_length: 32 };
const signInOptions = { guest_enabled: true, google_enabled: false, google_login_url: null, limits };

/** A server that answers the auth endpoints, recording every request as "METHOD path". */
function server(user: unknown) {
  const requests: string[] = [];
  let token = 0;
  const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
    const path = new URL(url).pathname;
    requests.push(`${init?.method ?? 'GET'} ${path}`);
    const body =
      path === '/api/auth/csrf/'
        ? { csrf_token: `tok-${++token}` }
        : path === '/api/auth/config/'
          ? { ...signInOptions, user }
          : path === '/api/auth/guest/'
            ? { id: 3, display_name: 'Mina', avatar_url: '', is_guest: true }
            : null;
    if (path === '/api/auth/logout/') return new Response(null, { status: 204 });
    return new Response(JSON.stringify(body), { status: body ? 200 : 404 });
  });
  return { requests, authApi: createAuthApi(createApiClient('http://chat.test', fetchMock as unknown as typeof fetch)) };
}

describe('auth api', () => {
  it('learns who is signed in from the config, so a first visit asks nothing that answers 401', async () => {
    const { requests, authApi } = server(null);
    const [config] = await Promise.all([authApi.config(), authApi.prepare()]);
    expect(config).toEqual({ ...signInOptions, user: null });
    expect(requests.sort()).toEqual(['GET /api/auth/config/', 'GET /api/auth/csrf/']);
  });

  it('fills in is_staff on the signed-in user from the config', async () => {
    const { authApi } = server({ id: 3, display_name: 'Mina', avatar_url: '', is_guest: true });
    expect((await authApi.config()).user).toEqual({ id: 3, display_name: 'Mina', avatar_url: '', is_guest: true, is_staff: false });
  });

  it('fetches the rotated CSRF token again after signing in and after signing out', async () => {
    const { requests, authApi } = server(null);
    await authApi.prepare();
    await authApi.guest('Mina');
    await authApi.logout();
    expect(requests).toEqual([
      'GET /api/auth/csrf/',
      'POST /api/auth/guest/',
      'GET /api/auth/csrf/',
      'POST /api/auth/logout/',
      'GET /api/auth/csrf/',
    ]);
  });
});
