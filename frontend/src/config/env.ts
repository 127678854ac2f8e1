export interface AppConfig {
  /** Origin (and optional path prefix) of the REST API, without a trailing slash. */
  apiBase: string;
  /** ws: or wss: origin (and optional prefix) of the WebSocket endpoints, without a trailing slash. */
  wsBase: string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

interface PageLocation {
  protocol: string;
  host: string;
}

type RawEnv = Record<string, string | boolean | undefined>;

function parseBase(name: string, raw: string, allowed: readonly string[]): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute URL, got ${JSON.stringify(raw)}`);
  }
  if (!allowed.includes(url.protocol)) {
    throw new ConfigError(`${name} must start with ${allowed.join(' or ')}, got ${JSON.stringify(raw)}`);
  }
  if (url.search || url.hash) {
    throw new ConfigError(`${name} must not carry a query or fragment, got ${JSON.stringify(raw)}`);
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

function readOptional(env: RawEnv, name: string): string | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new ConfigError(`${name} must be a string`);
  return value.trim() || undefined;
}

/**
 * Both bases default to the page's own origin, so the built app works wherever Django serves
 * it; the WebSocket scheme follows the page (https → wss) or browsers refuse mixed content.
 */
export function loadConfig(env: RawEnv, location: PageLocation): AppConfig {
  const apiRaw = readOptional(env, 'VITE_API_BASE');
  const wsRaw = readOptional(env, 'VITE_WS_BASE');
  const pageIsSecure = location.protocol === 'https:';
  const apiBase = apiRaw
    ? parseBase('VITE_API_BASE', apiRaw, ['http:', 'https:'])
    : `${location.protocol}//${location.host}`;
  const wsBase = wsRaw
    ? parseBase('VITE_WS_BASE', wsRaw, ['ws:', 'wss:'])
    : `${pageIsSecure ? 'wss:' : 'ws:'}//${location.host}`;
  return { apiBase, wsBase };
}
