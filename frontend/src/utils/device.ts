/**
 * Whether focusing a text box on entering a screen helps: with a mouse or trackpad it puts the
 * keyboard where the user will type; on a touch-only device it would pop the on-screen keyboard
 * over the messages the user came to read. Without matchMedia (tests, old browsers): yes.
 */
export function focusTextOnEntry(): boolean {
  if (typeof window.matchMedia !== 'function') return true;
  return window.matchMedia('(pointer: fine)').matches;
}
