import { fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { Composer } from './composer';

function setup(disabled = false) {
  const onSend = vi.fn();
  const onTyping = vi.fn();
  render(<Composer disabled={disabled} onSend={onSend} onTyping={onTyping} />);
  return { onSend, onTyping, input: screen.getByRole('textbox', { name: 'Message' }) };
}

describe('Composer', () => {
  it('sends on Enter and clears the box', async () => {
    const { onSend, input } = setup();
    await userEvent.type(input, 'hello{Enter}');
    expect(onSend).toHaveBeenCalledWith('hello');
    expect(input).toHaveValue('');
  });

  it('inserts a newline on Shift+Enter instead of sending', async () => {
    const { onSend, input } = setup();
    await userEvent.type(input, 'one{Shift>}{Enter}{/Shift}two');
    expect(onSend).not.toHaveBeenCalled();
    expect(input).toHaveValue('one\ntwo');
  });

  it('does not send while an IME is composing', () => {
    const { onSend, input } = setup();
    fireEvent.change(input, { target: { value: '안녕' } });
    fireEvent.keyDown(input, { key: 'Enter', isComposing: true });
    expect(onSend).not.toHaveBeenCalled();
  });

  it('reports typing and refuses blank messages', async () => {
    const { onSend, onTyping, input } = setup();
    await userEvent.type(input, '   {Enter}');
    expect(onSend).not.toHaveBeenCalled();
    await userEvent.type(input, 'x');
    expect(onTyping).toHaveBeenCalled();
  });

  it('blocks sending over 4000 characters and shows the count', () => {
    const { onSend, input } = setup();
    fireEvent.change(input, { target: { value: 'a'.repeat(4001) } });
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(onSend).not.toHaveBeenCalled();
    expect(screen.getByText('4001 / 4000')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
  });
});
