import { describe, expect, it, vi } from 'vitest';

import type { Message } from '@/lib/protocol';
import { message } from '@/test/fake-websocket';

import { CONTEXT_SIDE, extendNewer, extendOlder, loadAround, loadUpTo } from './message-context';
import type { HistoryApi } from './message-context';

/** A room whose history is ids (and seqs) 1…`newest` minus `gaps`, answered as the server does. */
function history(newest: number, gaps: number[] = []) {
  const held = (lo: number, hi: number): Message[] =>
    Array.from({ length: Math.max(0, hi - lo + 1) }, (_, i) => message(lo + i, lo + i)).filter((m) => !gaps.includes(m.id));
  const api = {
    before: vi.fn(async (_slug: string, id: number, limit: number = 50) => {
      const lo = Math.max(1, id - limit);
      return { messages: held(lo, id - 1), has_more: lo > 1 };
    }),
    after: vi.fn(async (_slug: string, id: number, limit: number = 50) => {
      const hi = Math.min(newest, id + limit);
      return { messages: held(id + 1, hi), has_more: hi < newest };
    }),
  } satisfies HistoryApi;
  return api;
}

const ids = (ms: readonly Message[]) => ms.map((m) => m.id);

describe('message context', () => {
  it('reads the message and the ones before it with before=id+1, or says the room has no such message', async () => {
    const api = history(1000, [500]);
    const page = await loadUpTo(api, 'general', 700);
    expect(api.before).toHaveBeenCalledWith('general', 701, CONTEXT_SIDE + 1);
    expect(ids(page?.messages ?? [])).toEqual(Array.from({ length: 26 }, (_, i) => 675 + i));
    expect(await loadUpTo(api, 'general', 500)).toBeNull();
  });

  it('opens a window of 25 each side, oldest first, and says whether history goes on each way', async () => {
    const api = history(1000);
    const window = await loadAround(api, 'general', 700);
    expect(window).toMatchObject({ targetId: 700, hasOlder: true, hasNewer: true });
    expect(ids(window?.messages ?? [])).toEqual(Array.from({ length: 51 }, (_, i) => 675 + i));
    expect(api.after).toHaveBeenCalledWith('general', 700, CONTEXT_SIDE);

    // Near either end of the room.
    const first = await loadAround(api, 'general', 3);
    expect([first?.messages[0]?.id, first?.hasOlder, first?.hasNewer]).toEqual([1, false, true]);
    const last = await loadAround(api, 'general', 990);
    expect([last?.messages.at(-1)?.id, last?.hasOlder, last?.hasNewer]).toEqual([1000, true, false]);
  });

  it('reuses the older half when it was read already, and has no window for a message not in the room', async () => {
    const api = history(1000, [500]);
    const upTo = await loadUpTo(api, 'general', 700);
    api.before.mockClear();
    expect((await loadAround(api, 'general', 700, upTo))?.messages).toHaveLength(51);
    expect(api.before).not.toHaveBeenCalled();
    expect(await loadAround(api, 'general', 500)).toBeNull();
  });

  it('grows a page at a time either way, each message once, until history ends', async () => {
    const api = history(760);
    const opened = await loadAround(api, 'general', 700);
    if (!opened) throw new Error('no window');
    const older = await extendOlder(api, 'general', opened);
    expect(api.before).toHaveBeenLastCalledWith('general', 675, CONTEXT_SIDE);
    expect([older.messages[0]?.id, older.messages.at(-1)?.id, older.messages.length, older.hasOlder]).toEqual([650, 725, 76, true]);
    const newer = await extendNewer(api, 'general', older);
    expect(api.after).toHaveBeenLastCalledWith('general', 725, CONTEXT_SIDE);
    expect([newer.messages.at(-1)?.id, newer.hasNewer, newer.targetId]).toEqual([750, true, 700]);
    const end = await extendNewer(api, 'general', newer);
    expect([end.messages.at(-1)?.id, end.hasNewer]).toEqual([760, false]);
    // Nothing is asked past the end.
    api.after.mockClear();
    expect(await extendNewer(api, 'general', end)).toBe(end);
    expect(api.after).not.toHaveBeenCalled();
  });
});
