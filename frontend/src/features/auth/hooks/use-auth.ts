import { useCallback, useEffect, useState } from 'react';

import type { User } from '@/lib/protocol';

import type { AuthApi, AuthConfig } from '../api/auth-api';

export type AuthState =
  | { status: 'loading' }
  | { status: 'unreachable' }
  | { status: 'signed-out'; config: AuthConfig }
  | { status: 'signed-in'; config: AuthConfig; user: User };

const RETRY_MS = 3000;

export function useAuth(authApi: AuthApi) {
  const [state, setState] = useState<AuthState>({ status: 'loading' });

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = async () => {
      try {
        // The config names who is signed in (null: nobody), so a first visit makes no request
        // that fails: /api/me/ would answer 401 and the browser would log it as an error.
        const [{ user, ...config }] = await Promise.all([authApi.config(), authApi.prepare()]);
        if (cancelled) return;
        setState(user ? { status: 'signed-in', config, user } : { status: 'signed-out', config });
      } catch {
        if (cancelled) return;
        setState({ status: 'unreachable' });
        timer = setTimeout(() => void load(), RETRY_MS);
      }
    };
    void load();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [authApi]);

  const signedIn = useCallback((user: User) => {
    setState((s) => ('config' in s ? { status: 'signed-in', config: s.config, user } : s));
  }, []);

  const signedOut = useCallback(() => {
    setState((s) => ('config' in s ? { status: 'signed-out', config: s.config } : s));
  }, []);

  return { state, signedIn, signedOut };
}
