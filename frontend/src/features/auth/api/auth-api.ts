import type { ApiClient } from '@/lib/api-client';
import { withStaffFlag } from '@/lib/protocol';
import type { User } from '@/lib/protocol';

export interface AuthConfig {
  guest_enabled: boolean;
  google_enabled: boolean;
  google_login_url: string | null;
}

export function createAuthApi(api: ApiClient) {
  return {
    /** Sets the csrftoken cookie and remembers the token before anything is written. */
    prepare: () => api.refreshCsrf(),
    config: () => api.get<AuthConfig>('/api/auth/config/'),
    me: async (): Promise<User> => withStaffFlag(await api.get<User>('/api/me/')),
    async guest(displayName: string): Promise<User> {
      const user = withStaffFlag(await api.post<User>('/api/auth/guest/', { display_name: displayName }));
      // Django rotates the CSRF token at sign-in; the old one would fail every later write.
      await api.refreshCsrf();
      return user;
    },
    /** Google sign-in starts with a form POST (a GET is refused, so no other site can start one). */
    async googleForm(loginPath: string): Promise<{ action: string; csrfToken: string }> {
      return { action: api.url(loginPath), csrfToken: await api.csrfToken() };
    },
    async logout(): Promise<void> {
      await api.post<void>('/api/auth/logout/');
      await api.refreshCsrf();
    },
  };
}

export type AuthApi = ReturnType<typeof createAuthApi>;
