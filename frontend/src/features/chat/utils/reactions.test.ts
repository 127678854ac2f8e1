import { describe, expect, it } from 'vitest';

import { reactedBy, reactionLabel, reactionNames } from './reactions';

const user = (id: number, display_name: string) => ({ id, display_name, avatar_url: '' });
const people = ['Mina', 'Jun', 'Ana', 'Bo', 'Cy'].map((name, i) => user(i + 1, name));

describe('reaction names', () => {
  it('lists up to three names, and past that two and how many others', () => {
    expect(reactionNames({ emoji: '👍', users: people.slice(0, 2) })).toBe('Mina, Jun');
    expect(reactionNames({ emoji: '👍', users: people.slice(0, 3) })).toBe('Mina, Jun, Ana');
    expect(reactionNames({ emoji: '👍', users: people.slice(0, 4) })).toBe('Mina, Jun and 2 others');
    expect(reactionNames({ emoji: '👍', users: people })).toBe('Mina, Jun and 3 others');
  });

  it('labels a chip with its emoji, count and names', () => {
    expect(reactionLabel({ emoji: '👍', users: people.slice(0, 2) })).toBe('👍 2: Mina, Jun');
  });

  it('knows whether one of them is you', () => {
    expect(reactedBy({ emoji: '👍', users: people.slice(0, 2) }, 2)).toBe(true);
    expect(reactedBy({ emoji: '👍', users: people.slice(0, 2) }, 3)).toBe(false);
    expect(reactedBy({ emoji: '👍', users: people }, undefined)).toBe(false);
  });
});
