import { describe, expect, it } from 'vitest';

import { textParts } from './body-parts';

const jun = { id: 4, display_name: 'Jun', avatar_url: '' };
const kinds = (parts: ReturnType<typeof textParts>) => parts.map((p) => `${p.kind}:${p.text}`);

describe('textParts', () => {
  it('cuts text into text and mentions, leaving unknown tokens as text', () => {
    expect(kinds(textParts('<@4> see <@9> @room', [jun], true))).toEqual(['mention:<@4>', 'text: see <@9> ', 'room:@room']);
  });

  it('highlights @room only when the server said the message mentions it, and only as a word', () => {
    expect(kinds(textParts('hi @room', [], false))).toEqual(['text:hi @room']);
    expect(kinds(textParts('mail me@room.com', [], true))).toEqual(['text:mail me@room.com']);
  });
});
