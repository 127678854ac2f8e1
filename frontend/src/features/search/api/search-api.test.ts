import { describe, expect, it, vi } from 'vitest';

import { ApiError, createApiClient } from '@/lib/api-client';
import { jun, message } from '@/test/fake-websocket';

import { createSearchApi } from './search-api';

function fakeServer(answer: (url: URL) => Response) {
  const fetchMock = vi.fn(async (url: string, _init?: RequestInit) => answer(new URL(url)));
  const api = createSearchApi(createApiClient('http://x', fetchMock as unknown as typeof fetch));
  const requests = () => fetchMock.mock.calls.map(([url, init]) => ({ url, method: init?.method, credentials: init?.credentials }));
  return { api, requests };
}

describe('search api', () => {
  it('asks GET /api/search/ with the query as typed, the room and the page, sending cookies', async () => {
    const { api, requests } = fakeServer(() => Response.json({ results: [], terms: [], has_more: false }));
    await api.search({ q: 'from:"Jun Park" 회의 "release notes"', room: 'general', before: 812 });
    await api.search({ q: 'meet' });
    const first = new URL(requests()[0]?.url ?? '');
    expect(first.pathname).toBe('/api/search/');
    expect(Object.fromEntries(first.searchParams)).toEqual({ q: 'from:"Jun Park" 회의 "release notes"', room: 'general', before: '812' });
    expect(requests()[1]?.url).toBe('http://x/api/search/?q=meet');
    expect(requests().map((r) => [r.method, r.credentials])).toEqual([
      ['GET', 'include'],
      ['GET', 'include'],
    ]);
  });

  it('reads the results, terms and has_more; authors without is_staff are not staff', async () => {
    const older = { id: 7, display_name: 'Admin ✔', avatar_url: '' };
    const { api } = fakeServer(() =>
      Response.json({ results: [message(9, 9, { body: '내일 회의를 합니다', author: older }), message(4, 4)], terms: ['회의', 'Release'], has_more: true }),
    );
    const page = await api.search({ q: '회의' });
    expect(page.results.map((m) => [m.id, m.body, m.author.is_staff])).toEqual([
      [9, '내일 회의를 합니다', false],
      [4, 'message 4', false],
    ]);
    expect(page.terms).toEqual(['회의', 'release']);
    expect(page.has_more).toBe(true);
  });

  it('drops malformed and deleted results rather than the page', async () => {
    const { api } = fakeServer(() =>
      Response.json({ results: [{ id: 'x' }, message(3, 3, { deleted: true, body: '' }), message(2, 2, { author: jun })], terms: [1, 'ok'] }),
    );
    const page = await api.search({ q: 'ok' });
    expect(page.results.map((m) => m.id)).toEqual([2]);
    expect(page.terms).toEqual(['ok']);
    expect(page.has_more).toBe(false);
  });

  it('throws the server’s refusal with its sentence, and an answer it cannot read as invalid', async () => {
    const refusal = { error: { code: 'invalid_field', detail: 'No one is called “Bob”.' } };
    const { api } = fakeServer((url) =>
      url.searchParams.get('q') === 'bad' ? Response.json(refusal, { status: 400 }) : Response.json({ rows: [] }),
    );
    const refused = await api.search({ q: 'bad' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 400, code: 'invalid_field', message: 'No one is called “Bob”.' });
    await expect(api.search({ q: 'odd' })).rejects.toMatchObject({ code: 'invalid_response' });
  });

  it('carries retry_after of a rate limit', async () => {
    const { api } = fakeServer(() => Response.json({ error: { code: 'rate_limited', detail: 'Slow down.', retry_after: 3 } }, { status: 429 }));
    await expect(api.search({ q: 'x' })).rejects.toMatchObject({ status: 429, code: 'rate_limited', retryAfter: 3 });
  });
});
