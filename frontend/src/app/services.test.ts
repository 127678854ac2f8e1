import { describe, expect, it, vi } from 'vitest';

import { createServices } from './services';

describe('createServices', () => {
  it('asks for a socket ticket only when the socket lives on another origin, for rooms and the lobby', async () => {
    const fetchMock = vi.fn(async (url: string) =>
      new Response(JSON.stringify(url.endsWith('/csrf/') ? { csrf_token: 't' } : { ticket: 'tk', expires_in: 30 }), {
        status: url.endsWith('/ws-ticket/') ? 201 : 200,
      }),
    );
    vi.stubGlobal('fetch', fetchMock);
    const opened: string[] = [];
    vi.stubGlobal(
      'WebSocket',
      class {
        onopen = null;
        onclose = null;
        onmessage = null;
        onerror = null;
        readyState = 0;
        constructor(url: string) {
          opened.push(url);
        }
        send() {}
        close() {}
      },
    );
    const same = createServices({ apiBase: 'http://chat.test', wsBase: 'ws://chat.test' }, 'http://chat.test');
    same.createSocket('general', () => null).connect();
    const other = createServices({ apiBase: 'https://api.chat.test', wsBase: 'wss://rt.chat.test' }, 'https://chat.test');
    other.createSocket('general', () => null).connect();
    await vi.waitFor(() => expect(opened).toHaveLength(2));
    expect(opened).toEqual(['ws://chat.test/ws/rooms/general/', 'wss://rt.chat.test/ws/rooms/general/?ticket=tk']);
    same.createLobbySocket().connect();
    other.createLobbySocket().connect();
    await vi.waitFor(() => expect(opened).toHaveLength(4));
    expect(opened.slice(2)).toEqual(['ws://chat.test/ws/lobby/', 'wss://rt.chat.test/ws/lobby/?ticket=tk']);
    vi.unstubAllGlobals();
  });
});
