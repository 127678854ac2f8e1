import type { ApiClient } from '@/lib/api-client';
import { withStaffFlag } from '@/lib/protocol';
import type { User } from '@/lib/protocol';

/** The server's input limits (`GET /api/auth/config/`), which the UI checks input against. */
export interface Limits {
  message_max_length: number;
  display_name_max_length: number;
  /** Different people one message may mention; absent from older servers. */
  mentions_max?: number;
  /** Characters a search query may have; absent from older servers. */
  search_query_max_length?: number;
}

/** How one signs in here and the limits input is checked against. */
export interface AuthConfig {
  guest_enabled: boolean;
  google_enabled: boolean;
  google_login_url: string | null;
  limits: Limits;
}

/** `GET /api/auth/config/` (200 for everyone): the config and who this session is signed in as. */
export interface AuthConfigAnswer extends AuthConfig {
  /** `null` when nobody is signed in, so a first visit needs no `/api/me/` (and its 401). */
  user: User | null;
}

export function createAuthApi(api: ApiClient) {
  return {
    /** Sets the csrftoken cookie and remembers the token before anything is written. */
    prepare: () => api.refreshCsrf(),
    async config(): Promise<AuthConfigAnswer> {
      const answer = await api.get<AuthConfigAnswer>('/api/auth/config/');
      return { ...answer, user: answer.user ? withStaffFlag(answer.user) : null };
    },
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
      // Signing out rotates the token too.
      await api.refreshCsrf();
    },
  };
}

export type AuthApi = ReturnType<typeof createAuthApi>;
