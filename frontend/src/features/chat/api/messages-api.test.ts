import { describe, expect, it, vi } from 'vitest';

import { createApiClient } from '@/lib/api-client';
import { changes, jun, me, message } from '@/test/fake-websocket';

import { createMessagesApi } from './messages-api';

function fakeServer(answer: (method: string, url: string) => Response) {
  const fetchMock = vi.fn(async (url: string, init?: RequestInit) =>
    url.endsWith('/api/auth/csrf/') ? Response.json({ csrf_token: 'tok' }) : answer(init?.method ?? 'GET', url),
  );
  const api = createMessagesApi(createApiClient('http://x', fetchMock as unknown as typeof fetch));
  const requests = () =>
    fetchMock.mock.calls
      .filter(([url]) => !url.endsWith('/csrf/'))
      .map(([url, init]) => ({ method: init?.method, url, csrf: (init?.headers as Record<string, string>)['X-CSRFToken'] }));
  return { api, requests };
}

describe('messages api: the HTTP fallback', () => {
  it('polls changes with since and the connection id, and reads presence and typing from the answer', async () => {
    const presence = { online: [jun, me], online_count: 3, version: 812 };
    const { api, requests } = fakeServer(() => Response.json({ ...changes(), presence, typing: [jun] }));
    const answer = await api.changes('general', 7, 'tab-1');
    expect(requests()).toEqual([{ method: 'GET', url: 'http://x/api/rooms/general/changes/?since=7&connection=tab-1', csrf: undefined }]);
    expect(answer.presence).toEqual(presence);
    expect(answer.typing).toEqual([jun]);
  });

  it('leaves out what it was not given, and drops a malformed presence rather than the answer', async () => {
    const { api, requests } = fakeServer(() => Response.json({ ...changes(), presence: { online: 'x' }, typing: [{ id: 'x' }, jun] }));
    const answer = await api.changes('general');
    expect(requests()[0]?.url).toBe('http://x/api/rooms/general/changes/');
    expect(answer.presence).toBeUndefined();
    expect(answer.typing).toEqual([jun]);
  });

  it('posts typing and deletes the connection with the CSRF token', async () => {
    const { api, requests } = fakeServer(() => new Response(null, { status: 204 }));
    await api.typing('general');
    await api.leave('general', 'tab-1');
    expect(requests()).toEqual([
      { method: 'POST', url: 'http://x/api/rooms/general/typing/', csrf: 'tok' },
      { method: 'DELETE', url: 'http://x/api/rooms/general/changes/?connection=tab-1', csrf: 'tok' },
    ]);
  });
});

describe('messages api: history and writes', () => {
  it('reads an author without is_staff (an older server) as not staff, and keeps a staff author', async () => {
    const older = { id: 7, display_name: 'Admin ✔', avatar_url: '' };
    const staff = { ...jun, is_staff: true };
    const { api } = fakeServer((method) =>
      method === 'GET'
        ? Response.json({ messages: [message(2, 2, { author: staff }), message(1, 1, { author: older })], has_more: false })
        : Response.json(message(3, 3, { author: older })),
    );
    const page = await api.before('general', 5);
    expect(page.messages.map((m) => [m.id, m.author.is_staff])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect((await api.send('general', 'hi', 'c1')).author.is_staff).toBe(false);
    expect((await api.edit('general', 3, 'hi')).author.is_staff).toBe(false);
  });

  it('reads history on either side of a message, oldest first both ways, with the size asked for', async () => {
    const { api, requests } = fakeServer((_method, url) =>
      url.includes('before=')
        ? Response.json({ messages: [message(5, 5), message(4, 4)], has_more: true })
        : Response.json({ messages: [message(6, 6, { author: { id: 7, display_name: 'Old', avatar_url: '' } }), message(7, 7)], has_more: false }),
    );
    const older = await api.before('general', 6, 25);
    const newer = await api.after('general', 5, 25);
    expect(requests().map((r) => r.url)).toEqual([
      'http://x/api/rooms/general/messages/?before=6&limit=25',
      'http://x/api/rooms/general/messages/?after=5&limit=25',
    ]);
    expect([older.messages.map((m) => m.id), older.has_more]).toEqual([[4, 5], true]);
    expect([newer.messages.map((m) => m.id), newer.has_more]).toEqual([[6, 7], false]);
    expect(newer.messages[0]?.author.is_staff).toBe(false);
  });
});
