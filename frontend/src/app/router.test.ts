import { describe, expect, it } from 'vitest';

import { parseRoute, roomHref } from './router';

describe('parseRoute', () => {
  it('reads room routes and falls back to the list', () => {
    expect(parseRoute('#/rooms/music-movies')).toEqual({ name: 'room', slug: 'music-movies' });
    expect(parseRoute(roomHref('일반'))).toEqual({ name: 'room', slug: '일반' });
    expect(parseRoute('')).toEqual({ name: 'rooms' });
    expect(parseRoute('#/elsewhere')).toEqual({ name: 'rooms' });
  });

  it('starts in the room of a /rooms/<slug>/ page until the hash points elsewhere', () => {
    expect(parseRoute('', '/rooms/tech/')).toEqual({ name: 'room', slug: 'tech' });
    expect(parseRoute('#/', '/rooms/tech/')).toEqual({ name: 'rooms' });
    expect(parseRoute('#/rooms/music-movies', '/rooms/tech/')).toEqual({ name: 'room', slug: 'music-movies' });
  });

  it('reads the message a room is opened at', () => {
    expect(parseRoute(roomHref('general', 812))).toEqual({ name: 'room', slug: 'general', message: 812 });
    expect(parseRoute('#/rooms/general?message=0')).toEqual({ name: 'room', slug: 'general' });
  });
});
