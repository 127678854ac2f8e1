import { describe, expect, it } from 'vitest';

import { newClientId, tabConnectionId } from './ids';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newClientId', () => {
  it('builds a valid, fresh UUID v4 where randomUUID is missing (plain http)', () => {
    const insecure: Pick<Crypto, 'getRandomValues'> = { getRandomValues: (a) => crypto.getRandomValues(a) };
    const a = newClientId(insecure);
    expect(a).toMatch(UUID_V4);
    expect(newClientId(insecure)).not.toBe(a);
  });

  it('uses randomUUID when the browser has it', () => {
    expect(newClientId()).toMatch(UUID_V4);
  });
});

describe('tabConnectionId', () => {
  it('is one id per room for the life of the tab, within the server’s alphabet', () => {
    const general = tabConnectionId('general');
    expect(general).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
    expect(tabConnectionId('general')).toBe(general);
    expect(tabConnectionId('tech')).not.toBe(general);
  });
});
