import { describe, expect, it } from 'vitest';

import { bodyParts } from './body-parts';

const jun = { id: 4, display_name: 'Jun', avatar_url: '' };
const kinds = (parts: ReturnType<typeof bodyParts>) => parts.map((p) => `${p.kind}:${p.text}`);

describe('bodyParts', () => {
  it('cuts text, links and mentions, leaving unknown tokens as text', () => {
    expect(kinds(bodyParts('<@4> see https://x.test/a, <@9> @room', [jun], true))).toEqual([
      'mention:<@4>',
      'text: see ',
      'link:https://x.test/a',
      'text:, <@9> ',
      'room:@room',
    ]);
  });

  it('keeps an @room inside a link part of the link', () => {
    expect(kinds(bodyParts('https://x.test/@room', [], true))).toEqual(['link:https://x.test/@room']);
  });

  it('highlights @room only when the server said the message mentions it', () => {
    expect(kinds(bodyParts('hi @room', [], false))).toEqual(['text:hi @room']);
  });
});
