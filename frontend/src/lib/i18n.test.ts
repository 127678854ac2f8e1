import { describe, expect, it } from 'vitest';

import { createTranslator, pickLocale } from './i18n';

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
});
