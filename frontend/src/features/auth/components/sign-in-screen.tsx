import { useEffect, useId, useState } from 'react';
import type { FormEvent } from 'react';

import { AppHeader } from '@/components/app-header';
import { ApiError } from '@/lib/api-client';
import { t } from '@/lib/i18n';
import type { User } from '@/lib/protocol';

import type { AuthApi, AuthConfig } from '../api/auth-api';

import './sign-in.css';

interface Props {
  config: AuthConfig;
  authApi: AuthApi;
  onSignedIn: (user: User) => void;
  notice?: string | null;
}

export function SignInScreen({ config, authApi, onSignedIn, notice }: Props) {
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const inputId = useId();
  const googleUrl = config.google_enabled ? config.google_login_url : null;

  async function submit(event: FormEvent) {
    event.preventDefault();
    const trimmed = name.trim();
    if (!trimmed || busy) return;
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await authApi.guest(trimmed));
    } catch (err) {
      const detail = err instanceof ApiError ? err.fields?.display_name?.[0] ?? err.message : String(err);
      setError(t('signin.failed', { detail }));
      setBusy(false);
    }
  }

  return (
    <div className="screen">
      {/* No connection status: nothing has connected yet, so there is nothing to report. */}
      <AppHeader title={t('appName')} />
      <main className="sign-in">
        <div className="sign-in__card">
          <h2 className="sign-in__title">{t('signin.title')}</h2>
          <p className="sign-in__subtitle">{t('signin.subtitle')}</p>
          {notice ? (
            <p className="banner banner--info" role="status">
              {notice}
            </p>
          ) : null}
          {config.guest_enabled ? (
            <form className="sign-in__form" onSubmit={(e) => void submit(e)}>
              <label htmlFor={inputId}>{t('signin.nameLabel')}</label>
              <input
                id={inputId}
                data-testid="guest-name"
                value={name}
                maxLength={config.limits.display_name_max_length}
                autoComplete="nickname"
                placeholder={t('signin.namePlaceholder')}
                onChange={(e) => setName(e.target.value)}
                autoFocus
              />
              <button className="button button--primary" type="submit" disabled={busy || !name.trim()} data-testid="guest-submit">
                {t('signin.guest')}
              </button>
            </form>
          ) : null}
          {config.guest_enabled && googleUrl ? <div className="sign-in__or">{t('signin.or')}</div> : null}
          {googleUrl ? <GoogleSignIn loginPath={googleUrl} authApi={authApi} /> : null}
          {!config.guest_enabled && !googleUrl ? (
            <p className="banner banner--warn" role="alert" data-testid="signin-unavailable">
              {t('signin.none')}
            </p>
          ) : null}
          {error ? (
            <p className="banner banner--error" role="alert">
              {error}
            </p>
          ) : null}
        </div>
      </main>
    </div>
  );
}

/** A real form POST with Django's CSRF token: the browser leaves for Google and comes back signed in. */
function GoogleSignIn({ loginPath, authApi }: { loginPath: string; authApi: AuthApi }) {
  const [form, setForm] = useState<{ action: string; csrfToken: string } | null>(null);
  useEffect(() => {
    let live = true;
    void authApi.googleForm(loginPath).then((f) => live && setForm(f));
    return () => {
      live = false;
    };
  }, [authApi, loginPath]);
  return (
    <form method="post" action={form?.action ?? loginPath} className="sign-in__google">
      <input type="hidden" name="csrfmiddlewaretoken" value={form?.csrfToken ?? ''} />
      <button type="submit" className="button button--google" data-testid="google-signin" disabled={!form}>
        <span aria-hidden="true" className="google-g">G</span>
        {t('signin.google')}
      </button>
    </form>
  );
}
