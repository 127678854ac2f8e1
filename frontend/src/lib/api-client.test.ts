import { describe, expect, it, vi } from 'vitest';

import { ApiError, createApiClient } from './api-client';

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}

describe('api client', () => {
  it('fetches the CSRF token once and sends it on writes, with cookies', async () => {
    const fetchMock = vi.fn(async (url: string, _init?: RequestInit) => {
      if (url.endsWith('/api/auth/csrf/')) return json(200, { csrf_token: 'tok' });
      return json(201, { ok: true });
    });
    const api = createApiClient('http://x', fetchMock as unknown as typeof fetch);
    await api.post('/api/a/', { a: 1 });
    await api.patch('/api/b/', { b: 2 });
    const writes = fetchMock.mock.calls.filter(([u]) => !u.endsWith('/csrf/'));
    expect(fetchMock.mock.calls.filter(([u]) => u.endsWith('/csrf/'))).toHaveLength(1);
    for (const [, init] of writes) {
      expect((init?.headers as Record<string, string>)['X-CSRFToken']).toBe('tok');
      expect(init?.credentials).toBe('include');
    }
  });

  it('does not send the token on GET', async () => {
    const fetchMock = vi.fn(async () => json(200, { rooms: [] }));
    const api = createApiClient('http://x', fetchMock);
    await api.get('/api/rooms/', { before: 5, after: undefined });
    const [url, init] = fetchMock.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('http://x/api/rooms/?before=5');
    expect((init.headers as Record<string, string>)['X-CSRFToken']).toBeUndefined();
  });

  it('turns the error shape into an ApiError with retry_after', async () => {
    const fetchMock = vi.fn(async (url: string) =>
      url.endsWith('/csrf/')
        ? json(200, { csrf_token: 't' })
        : json(429, { error: { code: 'rate_limited', detail: 'slow down', retry_after: 3 } }),
    );
    const api = createApiClient('', fetchMock as unknown as typeof fetch);
    const error = await api.post('/api/rooms/general/messages/', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 429, code: 'rate_limited', retryAfter: 3, message: 'slow down' });
  });

  it('refreshes a rejected CSRF token and retries once', async () => {
    let token = 0;
    const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
      if (url.endsWith('/csrf/')) return json(200, { csrf_token: `t${++token}` });
      const sent = (init?.headers as Record<string, string>)['X-CSRFToken'];
      return sent === 't2' ? json(200, { ok: 1 }) : json(403, { error: { code: 'csrf_failed', detail: '' } });
    });
    const api = createApiClient('', fetchMock as unknown as typeof fetch);
    await expect(api.post('/api/x/', {})).resolves.toEqual({ ok: 1 });
  });

  it('gives up on a request left unanswered as a network failure, so no poll waits for ever', async () => {
    vi.useFakeTimers();
    try {
      const hanging = ((_url: string, init?: RequestInit) =>
        new Promise((_resolve, reject) => {
          init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
        })) as unknown as typeof fetch;
      const api = createApiClient('', hanging, 5000);
      const answer = api.get('/api/rooms/general/changes/').catch((e: unknown) => e);
      await vi.advanceTimersByTimeAsync(4999);
      let settled = false;
      void answer.then(() => (settled = true));
      await Promise.resolve();
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(await answer).toMatchObject({ status: 0, isNetwork: true });
    } finally {
      vi.useRealTimers();
    }
  });

  it('reports a network failure as status 0', async () => {
    const api = createApiClient('', async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(api.get('/api/me/')).rejects.toMatchObject({ status: 0, isNetwork: true });
  });
});
