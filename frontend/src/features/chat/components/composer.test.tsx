import { fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { Composer } from './composer';

function setup(disabled = false, maxLength = 4000) {
  const onSend = vi.fn();
  const onTyping = vi.fn();
  render(<Composer disabled={disabled} maxLength={maxLength} onSend={onSend} onTyping={onTyping} />);
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

  it('holds to the limit it is given, not one of its own', async () => {
    const { onSend, input } = setup(false, 10);
    await userEvent.type(input, '1234567');
    // The count shows only near the limit (from 7/8 of it).
    expect(screen.queryByText(/\/ 10$/)).toBeNull();
    await userEvent.type(input, '8');
    expect(screen.getByText('8 / 10')).toBeInTheDocument();
    await userEvent.type(input, '901');
    expect(screen.getByText('11 / 10')).toHaveClass('composer__count--over');
    expect(input).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
    await userEvent.type(input, '{Enter}');
    expect(onSend).not.toHaveBeenCalled();

    await userEvent.type(input, '{Backspace}{Enter}');
    expect(onSend).toHaveBeenCalledWith('1234567890');
  });

  it('counts characters, not UTF-16 units, against the limit', () => {
    const { onSend, input } = setup(false, 10);
    fireEvent.change(input, { target: { value: '😀'.repeat(10) } });
    expect(screen.getByText('10 / 10')).not.toHaveClass('composer__count--over');
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(onSend).toHaveBeenCalledWith('😀'.repeat(10));
  });

  it('blocks sending over the server’s 4000 characters and shows the count', () => {
    const { onSend, input } = setup();
    fireEvent.change(input, { target: { value: 'a'.repeat(4001) } });
    fireEvent.keyDown(input, { key: 'Enter' });
    expect(onSend).not.toHaveBeenCalled();
    expect(screen.getByText('4001 / 4000')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Send' })).toBeDisabled();
  });

  it('takes focus when it appears only if asked to', () => {
    const first = render(<Composer disabled={false} maxLength={10} onSend={vi.fn()} onTyping={vi.fn()} />);
    expect(first.getByRole('textbox', { name: 'Message' })).not.toHaveFocus();
    first.unmount();
    render(<Composer disabled={false} maxLength={10} autoFocus onSend={vi.fn()} onTyping={vi.fn()} />);
    expect(screen.getByRole('textbox', { name: 'Message' })).toHaveFocus();
  });
});
