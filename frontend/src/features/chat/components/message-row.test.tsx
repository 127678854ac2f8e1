import { cleanup, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { ApiError } from '@/lib/api-client';
import { me, message } from '@/test/fake-websocket';

import { MessageRow } from './message-row';
import { PendingRow } from './pending-row';

const noop = async () => undefined;
/** The server's message limit, as the config would name it. */
const LIMIT = 4000;

describe('MessageRow', () => {
  it('renders markup as text and turns URLs into safe new-tab links', () => {
    render(
      <MessageRow
        messageMaxLength={LIMIT}
        message={message(1, 1, { body: '<img src=x onerror=alert(1)> see https://example.com/x' })}
        own={false}
        continued={false}
        canEdit={false}
        canDelete={false}
        onEdit={noop}
        onDelete={noop}
      />,
    );
    expect(document.querySelector('img[src="x"]')).toBeNull();
    expect(screen.getByText(/<img src=x/)).toBeInTheDocument();
    const link = screen.getByRole('link', { name: 'https://example.com/x' });
    expect(link).toHaveAttribute('target', '_blank');
    expect(link).toHaveAttribute('rel', 'noopener noreferrer nofollow');
  });

  it('shows a deleted message as a tombstone without actions', () => {
    render(
      <MessageRow messageMaxLength={LIMIT} message={message(1, 1, { deleted: true, body: '' })} own continued={false} canEdit canDelete onEdit={noop} onDelete={noop} />,
    );
    expect(screen.getByText('message deleted')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Edit' })).toBeNull();
  });

  it('edits with Enter and cancels with Escape', async () => {
    const onEdit = vi.fn(async () => undefined);
    render(<MessageRow messageMaxLength={LIMIT} message={message(4, 1, { body: 'old', author: me })} own continued={false} canEdit canDelete onEdit={onEdit} onDelete={noop} />);
    await userEvent.click(screen.getByRole('button', { name: 'Edit' }));
    await userEvent.keyboard('{Escape}');
    expect(screen.queryByRole('textbox')).toBeNull();
    expect(onEdit).not.toHaveBeenCalled();

    await userEvent.click(screen.getByRole('button', { name: 'Edit' }));
    const box = screen.getByRole('textbox', { name: 'Edit message' });
    await userEvent.clear(box);
    await userEvent.type(box, 'new{Enter}');
    expect(onEdit).toHaveBeenCalledWith(4, 'new');
  });

  it('asks before deleting', async () => {
    const onDelete = vi.fn(async () => undefined);
    const m = message(4, 1, { author: me });
    render(<MessageRow messageMaxLength={LIMIT} message={m} own continued={false} canEdit canDelete onEdit={noop} onDelete={onDelete} />);
    await userEvent.click(screen.getByRole('button', { name: 'Delete' }));
    expect(onDelete).not.toHaveBeenCalled();
    await userEvent.click(screen.getByTestId('confirm-delete'));
    expect(onDelete).toHaveBeenCalledWith(m);
  });
});

describe('MessageRow names', () => {
  const row = (author: { id: number; display_name: string; avatar_url: string; is_staff?: boolean }, own = false) =>
    render(
      <MessageRow
        messageMaxLength={LIMIT}
        message={message(1, 1, { author, body: 'hello' })}
        own={own}
        continued={false}
        canEdit={false}
        canDelete={false}
        onEdit={noop}
        onDelete={noop}
      />,
    );

  it('marks a staff author, outside the author name', () => {
    row({ id: 7, display_name: 'Mod', avatar_url: '', is_staff: true });
    const mark = screen.getByTestId('staff-mark');
    expect(mark).toHaveTextContent('Staff');
    expect(screen.getByTestId('message-author')).toHaveTextContent(/^Mod$/);
    expect(screen.getByTestId('message-author').contains(mark)).toBe(false);
    expect(mark.closest('.message__meta')).not.toBeNull();
  });

  it.each(['Admin ✔', 'Staff', 'Admin (Staff)'])('gives no mark to a non-staff author named %s', (name) => {
    row({ id: 8, display_name: name, avatar_url: '', is_staff: false });
    expect(screen.queryByTestId('staff-mark')).toBeNull();
    expect(screen.getByTestId('message-author').textContent).toBe(name);
  });

  it('gives no mark to an author without is_staff (an older payload)', () => {
    row({ id: 8, display_name: 'Admin', avatar_url: '' });
    expect(screen.queryByTestId('staff-mark')).toBeNull();
  });

  it('puts the author name in <bdi> and "(you)" outside it, and isolates the body with dir=auto', () => {
    row({ id: 1, display_name: '\u202Eanim', avatar_url: '' }, true);
    const name = screen.getByTestId('message-author');
    expect(name.tagName).toBe('BDI');
    expect(name.textContent).toBe('\u202Eanim');
    expect(name.parentElement).toHaveTextContent('(you)');
    expect(screen.getByText('hello').closest('.message__body')).toHaveAttribute('dir', 'auto');
    expect(screen.getByTestId('message-body').textContent).toBe('hello');
  });
});

describe('MessageRow refusals', () => {
  it('closes the editor when the right to edit goes away mid-edit (a live archive)', async () => {
    const m = message(4, 1, { body: 'old', author: me });
    const { rerender } = render(<MessageRow messageMaxLength={LIMIT} message={m} own continued={false} canEdit canDelete onEdit={noop} onDelete={noop} />);
    await userEvent.click(screen.getByRole('button', { name: 'Edit' }));
    expect(screen.getByRole('textbox', { name: 'Edit message' })).toBeInTheDocument();
    rerender(<MessageRow messageMaxLength={LIMIT} message={m} own continued={false} canEdit={false} canDelete={false} onEdit={noop} onDelete={noop} />);
    expect(screen.queryByRole('textbox')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Delete' })).toBeNull();
  });

  it('shows a rejected edit inline and keeps editing', async () => {
    const onEdit = vi.fn(async () => {
      throw new ApiError(403, 'room_archived', 'archived');
    });
    render(<MessageRow messageMaxLength={LIMIT} message={message(4, 1, { body: 'old', author: me })} own continued={false} canEdit canDelete onEdit={onEdit} onDelete={noop} />);
    await userEvent.click(screen.getByRole('button', { name: 'Edit' }));
    await userEvent.type(screen.getByRole('textbox', { name: 'Edit message' }), '!{Enter}');
    expect(await screen.findByRole('alert')).toHaveTextContent('That did not work: This room is read-only.');
    expect(screen.getByRole('textbox', { name: 'Edit message' })).toHaveValue('old!');
  });

  it('names the server’s limit when an edit is refused as too long', async () => {
    const onEdit = vi.fn(async () => {
      throw new ApiError(400, 'body_too_long', 'The message is longer than 10 characters.');
    });
    const m = message(4, 1, { body: 'old', author: me });
    render(<MessageRow messageMaxLength={10} message={m} own continued={false} canEdit canDelete onEdit={onEdit} onDelete={noop} />);
    await userEvent.click(screen.getByRole('button', { name: 'Edit' }));
    await userEvent.type(screen.getByRole('textbox', { name: 'Edit message' }), ' and more{Enter}');
    expect(await screen.findByRole('alert')).toHaveTextContent('The message is too long (10 characters at most).');
  });
});

describe('PendingRow', () => {
  it('names the server’s limit when a message was refused as too long', () => {
    render(
      <PendingRow
        messageMaxLength={10}
        you={me}
        continued={false}
        pending={{ clientId: 'c1', body: 'hi', createdAt: '', status: 'failed', error: { code: 'body_too_long', detail: '', retryAfter: null } }}
        waiting={false}
        onRetry={vi.fn()}
        onDiscard={vi.fn()}
      />,
    );
    expect(screen.getByRole('alert')).toHaveTextContent('The message is too long (10 characters at most).');
  });

  it('shows the rejection reason with retry_after and retries with the same id', async () => {
    const onRetry = vi.fn();
    render(
      <PendingRow
        messageMaxLength={LIMIT}
        you={me}
        continued={false}
        pending={{ clientId: 'c1', body: 'hi', createdAt: '', status: 'failed', error: { code: 'rate_limited', detail: '', retryAfter: 3 } }}
        waiting={false}
        onRetry={onRetry}
        onDiscard={vi.fn()}
      />,
    );
    expect(screen.getByRole('alert')).toHaveTextContent('You are sending too fast. Try again in 3 s.');
    await userEvent.click(screen.getByRole('button', { name: 'Retry' }));
    expect(onRetry).toHaveBeenCalledWith('c1');
  });

  it('says a pending message waits for a connection while nothing answers, and is sending otherwise', () => {
    const pending = { clientId: 'c1', body: 'hi', createdAt: '', status: 'pending' as const, error: null };
    const { rerender } = render(<PendingRow messageMaxLength={LIMIT} you={me} continued={false} pending={pending} waiting onRetry={vi.fn()} onDiscard={vi.fn()} />);
    expect(screen.getByTestId('pending-state')).toHaveAttribute('data-state', 'waiting');
    expect(screen.getByTestId('pending-state')).toHaveTextContent('Waiting for connection…');
    expect(screen.getByTestId('message')).toHaveAttribute('data-waiting', 'true');
    expect(screen.getByTestId('message')).toHaveAttribute('data-pending', 'pending');
    rerender(<PendingRow messageMaxLength={LIMIT} you={me} continued={false} pending={pending} waiting={false} onRetry={vi.fn()} onDiscard={vi.fn()} />);
    expect(screen.getByTestId('pending-state')).toHaveAttribute('data-state', 'sending');
    expect(screen.getByTestId('pending-state')).toHaveTextContent('Sending…');
    expect(screen.getByTestId('message')).not.toHaveAttribute('data-waiting');
  });
});

describe('MessageRow mentions', () => {
  const junRef = { id: 4, display_name: 'Jun', avatar_url: '', is_staff: false };
  const show = (overrides: Parameters<typeof message>[2], youId = me.id) =>
    render(
      <MessageRow
        messageMaxLength={LIMIT}
        message={message(1, 1, overrides)}
        own={false}
        continued={false}
        canEdit={false}
        canDelete={false}
        onEdit={noop}
        onDelete={noop}
        youId={youId}
      />,
    );

  it('shows a mention under the name the server gives, in <bdi>, and an unknown token as text', () => {
    show({ body: 'hi <@4> and <@9>', mentions: [junRef] });
    const mention = screen.getByTestId('mention');
    expect(mention).toHaveClass('mention');
    expect(mention).toHaveTextContent('@Jun');
    expect(mention.querySelector('bdi')?.textContent).toBe('Jun');
    expect(screen.getByTestId('message-body')).toHaveTextContent('hi @Jun and <@9>');
  });

  it('shows the current name after a rename', () => {
    show({ body: '<@4> look', mentions: [{ ...junRef, display_name: 'Junho' }] });
    expect(screen.getByTestId('mention')).toHaveTextContent('@Junho');
    expect(screen.getByTestId('message-body')).not.toHaveTextContent('<@4>');
  });

  it('marks a message that mentions you, by name or by @room, and says so to screen readers', () => {
    show({ body: '<@1> hi', mentions: [me] });
    const row = screen.getByTestId('message');
    expect(row).toHaveClass('mentions-me');
    expect(row).toHaveTextContent('Mentions you');
    expect(screen.getByTestId('mention')).toHaveClass('mention--me');
    cleanup();

    show({ body: '@room meeting now', mentions_room: true });
    expect(screen.getByTestId('message')).toHaveClass('mentions-me');
    expect(screen.getByTestId('mention-room')).toHaveTextContent('@room');
    cleanup();

    show({ body: '<@4> only', mentions: [junRef] });
    expect(screen.getByTestId('message')).not.toHaveClass('mentions-me');
    cleanup();

    // Your own @room does not mention you; the text is highlighted only when the server found it.
    show({ body: '@room hi', mentions_room: true, author: me });
    expect(screen.getByTestId('message')).not.toHaveClass('mentions-me');
    cleanup();
    show({ body: 'mail me@room.com', mentions_room: false });
    expect(screen.queryByTestId('mention-room')).toBeNull();
  });

  it('keeps links working around mentions', () => {
    show({ body: '<@4> see https://example.com/x', mentions: [junRef] });
    expect(screen.getByRole('link', { name: 'https://example.com/x' })).toHaveAttribute('href', 'https://example.com/x');
    expect(screen.getByTestId('mention')).toHaveTextContent('@Jun');
  });

  it('edits mentions as names and saves them as tokens again', async () => {
    const onEdit = vi.fn(async () => undefined);
    render(
      <MessageRow
        messageMaxLength={LIMIT}
        message={message(4, 1, { body: '<@4> look', author: me, mentions: [junRef] })}
        own
        continued={false}
        canEdit
        canDelete
        onEdit={onEdit}
        onDelete={noop}
        youId={me.id}
      />,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Edit' }));
    const box = screen.getByRole('textbox', { name: 'Edit message' });
    expect(box).toHaveValue('@Jun look');
    await userEvent.type(box, ' again{Enter}');
    expect(onEdit).toHaveBeenCalledWith(4, '<@4> look again');
  });
});
