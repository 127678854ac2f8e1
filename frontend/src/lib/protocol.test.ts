import { describe, expect, it, vi } from 'vitest';

import { change, helloFrame, jun, presenceFrame } from '../test/fake-websocket';
import { parseServerFrame } from './protocol';

const parse = (frame: unknown) => parseServerFrame(JSON.stringify(frame));

describe('parseServerFrame: presence', () => {
  it('accepts the new presence frame and fills in a missing list', () => {
    expect(parse(presenceFrame(812, 3, { joined: [change(jun, 810)] }))).toEqual({
      type: 'presence',
      version: 812,
      online_count: 3,
      joined: [change(jun, 810)],
      left: [],
    });
    expect(parse({ type: 'presence', version: 1, online_count: 1, left: [change(jun, 1)] })).toMatchObject({ joined: [] });
  });

  it('refuses the old shape and changes without a version', () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    expect(parse({ type: 'presence', event: 'join', user: jun, online_count: 2 })).toBeNull();
    expect(parse({ type: 'presence', version: 2, online_count: 2, joined: [jun] })).toBeNull();
    expect(parse({ type: 'presence', version: '2', online_count: 2, joined: [] })).toBeNull();
  });

  it('reads presence_version from hello, and a hello without one as 0', () => {
    expect(parse(helloFrame({ presence_version: 77 }))).toMatchObject({ presence_version: 77 });
    const { presence_version: _dropped, ...older } = helloFrame();
    expect(parse(older)).toMatchObject({ presence_version: 0 });
    expect(parse(helloFrame({ presence_version: 'x' }))).toBeNull();
  });
});
