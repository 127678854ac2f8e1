import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from './env';

const page = { protocol: 'http:', host: 'chat.test:8000' };

describe('loadConfig', () => {
  it('defaults both bases to the page origin', () => {
    expect(loadConfig({}, page)).toEqual({ apiBase: 'http://chat.test:8000', wsBase: 'ws://chat.test:8000' });
  });

  it('uses wss when the page is served over https', () => {
    expect(loadConfig({}, { protocol: 'https:', host: 'chat.test' }).wsBase).toBe('wss://chat.test');
  });

  it('accepts explicit bases and strips trailing slashes', () => {
    const config = loadConfig(
      { VITE_API_BASE: 'https://api.chat.test/v/', VITE_WS_BASE: 'wss://rt.chat.test/' },
      page,
    );
    expect(config).toEqual({ apiBase: 'https://api.chat.test/v', wsBase: 'wss://rt.chat.test' });
  });

  it('rejects a WebSocket base with an http scheme', () => {
    expect(() => loadConfig({ VITE_WS_BASE: 'http://rt.chat.test' }, page)).toThrow(ConfigError);
  });

  it('rejects a relative API base', () => {
    expect(() => loadConfig({ VITE_API_BASE: '/api' }, page)).toThrow(/VITE_API_BASE/);
  });
});
