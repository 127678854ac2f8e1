/**
 * The one HTTP client: JSON in and out, cookies always sent, Django's CSRF token on every write,
 * and the server's single error shape turned into an ApiError.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
    readonly retryAfter: number | null = null,
    readonly fields: Record<string, string[]> | null = null,
  ) {
    super(detail || code);
    this.name = 'ApiError';
  }

  get isNetwork(): boolean {
    return this.status === 0;
  }
}

export interface ApiClient {
  get<T>(path: string, params?: Record<string, string | number | undefined>): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  patch<T>(path: string, body?: unknown): Promise<T>;
  del(path: string): Promise<void>;
  /** Fetches a fresh CSRF token; Django rotates it on sign-in, so call it again after. */
  refreshCsrf(): Promise<void>;
  /** The current CSRF token, for a plain HTML form that posts to the backend. */
  csrfToken(): Promise<string>;
  /** An absolute URL on the backend, for a form's action. */
  url(path: string): string;
}

type FetchFn = typeof fetch;

/**
 * A request still unanswered after this long is given up as a network failure. Without a bound
 * one request stuck on a dead connection would stall whatever waits for it — in HTTP mode, every
 * later poll — until the server gave up at 25 s (deploy/daphne/run.sh, --http-timeout). Giving
 * up is safe: a send is retried with its client_id, and a poll asks again from the same head.
 */
export const REQUEST_TIMEOUT_MS = 10_000;

export function createApiClient(
  baseUrl: string,
  fetchImpl: FetchFn = (...a) => globalThis.fetch(...a),
  timeoutMs: number = REQUEST_TIMEOUT_MS,
): ApiClient {
  let csrfToken: string | null = null;
  let csrfLoading: Promise<void> | null = null;

  async function refreshCsrf(): Promise<void> {
    csrfLoading = (async () => {
      const data = await request<{ csrf_token: string }>('GET', '/api/auth/csrf/');
      csrfToken = data.csrf_token;
    })();
    try {
      await csrfLoading;
    } finally {
      csrfLoading = null;
    }
  }

  async function request<T>(method: string, path: string, body?: unknown, retried = false): Promise<T> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET') {
      if (csrfLoading) await csrfLoading;
      if (csrfToken === null) await refreshCsrf();
      if (csrfToken) headers['X-CSRFToken'] = csrfToken;
    }
    let response: Response;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      response = await fetchImpl(baseUrl + path, {
        method,
        headers,
        credentials: 'include',
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: abort.signal,
      });
    } catch {
      throw new ApiError(0, 'network', 'The server could not be reached.');
    } finally {
      clearTimeout(timer);
    }
    if (response.ok) {
      if (response.status === 204) return undefined as T;
      const text = await response.text();
      return (text ? JSON.parse(text) : undefined) as T;
    }
    const error = await toApiError(response);
    // A token rotated by a sign-in in another tab: fetch the new one and try once more.
    if (error.code === 'csrf_failed' && !retried) {
      await refreshCsrf();
      return request<T>(method, path, body, true);
    }
    throw error;
  }

  return {
    get: (path, params) => request('GET', path + queryString(params)),
    post: (path, body) => request('POST', path, body ?? {}),
    patch: (path, body) => request('PATCH', path, body ?? {}),
    del: (path) => request('DELETE', path),
    refreshCsrf,
    async csrfToken() {
      if (csrfLoading) await csrfLoading;
      if (csrfToken === null) await refreshCsrf();
      return csrfToken ?? '';
    },
    url: (path) => baseUrl + path,
  };
}

function queryString(params?: Record<string, string | number | undefined>): string {
  if (!params) return '';
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) search.set(k, String(v));
  const s = search.toString();
  return s ? `?${s}` : '';
}

async function toApiError(response: Response): Promise<ApiError> {
  let payload: unknown = null;
  try {
    payload = await response.json();
  } catch {
    // Not JSON (a proxy's error page, say): fall back to the status alone.
  }
  const err = (payload as { error?: Record<string, unknown> } | null)?.error;
  const header = Number(response.headers.get('Retry-After'));
  const retryAfter =
    typeof err?.retry_after === 'number' ? err.retry_after : Number.isFinite(header) && header > 0 ? header : null;
  return new ApiError(
    response.status,
    typeof err?.code === 'string' ? err.code : `http_${response.status}`,
    typeof err?.detail === 'string' ? err.detail : response.statusText,
    retryAfter,
    (err?.fields as Record<string, string[]> | undefined) ?? null,
  );
}
