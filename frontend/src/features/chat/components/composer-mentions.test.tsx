import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import type { Member } from '@/lib/protocol';

import { Composer } from './composer';
import type { ComposerMentions } from './composer';

const jun: Member = { id: 4, display_name: 'Jun', avatar_url: '', is_staff: false, online: true };
const junPark: Member = { id: 7, display_name: 'Jun Park', avatar_url: '', is_staff: false, online: false };
const mina: Member = { id: 1, display_name: 'Mina', avatar_url: '', is_staff: false, online: true };

function setup(overrides: Partial<ComposerMentions> = {}, refused: { key: string; body: string } | null = null) {
  const onSend = vi.fn();
  const search = vi.fn(async (q: string) => [jun, junPark, mina].filter((m) => m.display_name.toLowerCase().includes(q.toLowerCase())));
  const mentions: ComposerMentions = { search, canMentionRoom: false, selfId: mina.id, max: 20, ...overrides };
  const view = render(<Composer disabled={false} maxLength={4000} mentions={mentions} refused={refused} onSend={onSend} onTyping={vi.fn()} />);
  const box = screen.getByRole('combobox', { name: 'Message' });
  return { onSend, search, box, mentions, view };
}

const optionNames = () => screen.getAllByRole('option').map((o) => o.textContent);

describe('Composer @mentions', () => {
  it('suggests members from the keyboard and sends the picked name as a token', async () => {
    const { onSend, search, box } = setup();
    expect(box).toHaveAttribute('aria-autocomplete', 'list');
    expect(box).toHaveAttribute('aria-expanded', 'false');
    await userEvent.type(box, '@Ju');
    const listbox = await screen.findByRole('listbox', { name: 'People to mention' });
    expect(search).toHaveBeenLastCalledWith('Ju');
    expect(box).toHaveAttribute('aria-expanded', 'true');
    expect(box).toHaveAttribute('aria-controls', listbox.id);
    expect(optionNames()).toEqual(['Jun', 'Jun Park']);
    expect(box).not.toHaveAttribute('aria-activedescendant');

    await userEvent.keyboard('{ArrowDown}');
    const first = screen.getAllByRole('option')[0] as HTMLElement;
    expect(first).toHaveAttribute('aria-selected', 'true');
    expect(box).toHaveAttribute('aria-activedescendant', first.id);
    await userEvent.keyboard('{Enter}');
    expect(box).toHaveValue('@Jun ');
    expect(screen.queryByRole('option')).toBeNull();
    expect(box).toHaveAttribute('aria-expanded', 'false');

    await userEvent.keyboard('can you look?{Enter}');
    expect(onSend).toHaveBeenCalledWith('<@4> can you look?', [jun]);
    expect(box).toHaveValue('');
  });

  it('moves with ArrowUp and ArrowDown, picks with Tab, never suggests you', async () => {
    const { box } = setup();
    await userEvent.type(box, 'hi @');
    await screen.findAllByRole('option');
    expect(optionNames()).toEqual(['Jun', 'Jun Park']);
    await userEvent.keyboard('{ArrowUp}');
    expect(screen.getAllByRole('option')[1]).toHaveAttribute('aria-selected', 'true');
    await userEvent.keyboard('{Tab}');
    expect(box).toHaveValue('hi @Jun Park ');
    expect(box).toHaveFocus();
  });

  it('closes on Escape, and Enter then sends the text as typed', async () => {
    const { onSend, box } = setup();
    await userEvent.type(box, '@Ju');
    await screen.findAllByRole('option');
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('option')).toBeNull();
    expect(box).toHaveAttribute('aria-expanded', 'false');
    await userEvent.keyboard('{Enter}');
    expect(onSend).toHaveBeenCalledWith('@Ju');
  });

  it('takes Shift+Enter as a new line even while suggesting, and sends Markdown as typed', async () => {
    const { onSend, box } = setup();
    await userEvent.type(box, '**look** @Ju');
    await screen.findAllByRole('option');
    await userEvent.keyboard('{Shift>}{Enter}{/Shift}');
    expect(box).toHaveValue('**look** @Ju\n');
    expect(onSend).not.toHaveBeenCalled();
    await userEvent.keyboard('- one{Shift>}{Enter}{/Shift}- two{Enter}');
    expect(onSend).toHaveBeenCalledWith('**look** @Ju\n- one\n- two');
  });

  it('offers @room first only where it may be used', async () => {
    const first = setup();
    await userEvent.type(first.box, '@');
    await screen.findAllByRole('option');
    expect(optionNames()).not.toContain('@room');
    first.view.unmount();

    const { box, onSend } = setup({ canMentionRoom: true });
    await userEvent.type(box, '@');
    await screen.findAllByRole('option');
    expect(optionNames()[0]).toMatch(/^@room/);
    await userEvent.keyboard('{Enter}');
    expect(box).toHaveValue('@room ');
    await userEvent.keyboard('hello{Enter}');
    expect(onSend).toHaveBeenCalledWith('@room hello');
  });

  it('keeps the text with a clear reason when the mentions break the server’s rules', async () => {
    const { onSend, box } = setup({ max: 1 });
    await userEvent.type(box, '@room hi{Enter}');
    expect(onSend).not.toHaveBeenCalled();
    expect(screen.getByTestId('composer-error')).toHaveTextContent('Only moderators can mention @room in this room.');
    expect(box).toHaveValue('@room hi');

    await userEvent.clear(box);
    await userEvent.type(box, '<@4> <@7>{Enter}');
    expect(onSend).not.toHaveBeenCalled();
    expect(screen.getByRole('alert')).toHaveTextContent('A message can mention at most 1 people.');
  });

  it('takes the mouse too, without losing the text box focus', async () => {
    const { box } = setup();
    await userEvent.type(box, '@Jun P');
    // "P" after a space is not part of the mention being typed: nothing to suggest.
    expect(screen.queryByRole('option')).toBeNull();
    await userEvent.clear(box);
    await userEvent.type(box, '@Jun');
    await screen.findAllByRole('option');
    await userEvent.click(screen.getByRole('option', { name: /Jun Park/ }));
    expect(box).toHaveValue('@Jun Park ');
    expect(box).toHaveFocus();
  });

  it('puts a refused message back into an empty box, names and all', () => {
    const onSend = vi.fn();
    const mentions: ComposerMentions = { search: async () => [], canMentionRoom: false, selfId: 1 };
    const { rerender } = render(<Composer disabled={false} maxLength={4000} mentions={mentions} onSend={onSend} onTyping={vi.fn()} />);
    rerender(<Composer disabled={false} maxLength={4000} mentions={mentions} refused={{ key: 'c1', body: 'hi @room' }} onSend={onSend} onTyping={vi.fn()} />);
    expect(screen.getByRole('combobox', { name: 'Message' })).toHaveValue('hi @room');
  });
});
