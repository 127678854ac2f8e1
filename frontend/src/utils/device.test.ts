import { afterEach, describe, expect, it, vi } from 'vitest';

import { focusTextOnEntry } from './device';

function pointer(fine: boolean) {
  vi.stubGlobal('matchMedia', (query: string) => ({ matches: query === '(pointer: fine)' && fine }));
}

describe('focusTextOnEntry', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('focuses with a mouse or trackpad', () => {
    pointer(true);
    expect(focusTextOnEntry()).toBe(true);
  });

  it('does not pop the on-screen keyboard on a touch-only device', () => {
    pointer(false);
    expect(focusTextOnEntry()).toBe(false);
  });
});
