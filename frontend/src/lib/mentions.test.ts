import { describe, expect, it } from 'vitest';

import cases from './mention-cases.json';
import { mentionRanges, namesToTokens, parseMentions, tokensToNames } from './mentions';

const jun = { id: 4, display_name: 'Jun', avatar_url: '' };
const junPark = { id: 7, display_name: 'Jun Park', avatar_url: '' };

describe('parseMentions, on the cases the server runs too', () => {
  it.each(cases.cases)('reads $body', ({ body, users, room }) => {
    expect(parseMentions(body)).toEqual({ users, room });
  });
});

describe('mentionRanges', () => {
  it('finds only the users the server named, and @room only when it said so', () => {
    const body = 'hi <@4> and <@9>, @room';
    expect(mentionRanges(body, [jun], true).map((r) => [r.kind, body.slice(r.start, r.end)])).toEqual([
      ['user', '<@4>'],
      ['room', '@room'],
    ]);
    expect(mentionRanges(body, [], false)).toEqual([]);
  });
});

describe('converting between @Name and <@id>', () => {
  it('shows tokens as current names and leaves unknown ones as text', () => {
    expect(tokensToNames('<@4> and <@9>', [jun])).toBe('@Jun and <@9>');
  });

  it('turns picked names into tokens, longest first and only as whole words', () => {
    expect(namesToTokens('@Jun Park and @Jun, not @Junior or me@Jun', [jun, junPark])).toBe(
      '<@7> and <@4>, not @Junior or me@Jun',
    );
  });

  it('round-trips an edit', () => {
    const body = '<@4> look, <@7>!';
    expect(namesToTokens(tokensToNames(body, [jun, junPark]), [jun, junPark])).toBe(body);
  });

  it('takes names with characters that mean something in a pattern literally', () => {
    const odd = { id: 5, display_name: 'a.b (c)', avatar_url: '' };
    expect(namesToTokens('@a.b (c) and @aXb (c)', [odd])).toBe('<@5> and @aXb (c)');
  });
});
