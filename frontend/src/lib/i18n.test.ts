import { describe, expect, it } from 'vitest';

import { createCountTranslator, createPartsTranslator, createTranslator, pickLocale } from './i18n';

describe('i18n', () => {
  it('picks Korean for ko-KR and English for anything else', () => {
    expect(pickLocale(['ko-KR', 'en'])).toBe('ko');
    expect(pickLocale(['fr-FR', 'en-GB'])).toBe('en');
    expect(pickLocale(['de'])).toBe('en');
  });

  it('fills named parameters', () => {
    expect(createTranslator('en')('rooms.online', { count: 3 })).toBe('3 online');
    expect(createTranslator('ko')('chat.joined', { name: '준' })).toBe('준 님이 들어왔습니다');
  });

  it('names the server’s message limit rather than a number of its own', () => {
    expect(createTranslator('en')('error.body_too_long', { max: 10 })).toBe('The message is too long (10 characters at most).');
    expect(createTranslator('ko')('error.body_too_long', { max: 10 })).toBe('메시지가 너무 깁니다 (최대 10자).');
  });

  it('fills parameters that are not text, keeping them apart from the words around them', () => {
    const name = { element: 'Jun' };
    expect(createPartsTranslator('en')('chat.typing.one', { a: name })).toEqual([name, ' is typing…']);
    expect(createPartsTranslator('ko')('chat.typing.two', { a: 1, b: 2 })).toEqual([1, ' 님과 ', 2, ' 님이 입력 중…']);
    expect(createPartsTranslator('en')('chat.joined', {})).toEqual(['{name}', ' joined']);
  });

  it('picks the plural form from the count', () => {
    expect(createCountTranslator('en')('rooms.mentions', 1)).toBe('1 mention');
    expect(createCountTranslator('en')('rooms.mentions', 2)).toBe('2 mentions');
    expect(createCountTranslator('ko')('rooms.unread', 3)).toBe('읽지 않은 메시지 3개');
  });
});
