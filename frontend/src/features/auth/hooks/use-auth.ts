import { useCallback, useEffect, useState } from 'react';

import { ApiError } from '@/lib/api-client';
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
        const [config] = await Promise.all([authApi.config(), authApi.prepare()]);
        let user: User | null = null;
        try {
          user = await authApi.me();
        } catch (err) {
          if (!(err instanceof ApiError) || (err.status !== 401 && err.status !== 403)) throw err;
        }
        if (cancelled) return;
        setState(user ? { status: 'signed-in', config, user } : { status: 'signed-out', config });
      } catch {
        if (cancelled) return;
        setState({ status: 'unreachable' });
        timer = setTimeout(load, RETRY_MS);
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
