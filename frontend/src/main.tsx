import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { App } from '@/app/app';
import { createServices } from '@/app/services';
import { ConfigError, loadConfig } from '@/config';
import { locale, t } from '@/lib/i18n';

import './app/styles.css';

const container = document.getElementById('root');
if (!container) throw new Error('Rooms needs a <div id="root"> to mount on.');
document.documentElement.lang = locale;
const root = createRoot(container);

try {
  const config = loadConfig(import.meta.env, window.location);
  root.render(
    <StrictMode>
      <App services={createServices(config)} />
    </StrictMode>,
  );
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  // A bad build-time setting should say so on screen, not leave a blank page.
  root.render(
    <p className="banner banner--error" role="alert">
      {t('error.config', { detail: err.message })}
    </p>,
  );
}
