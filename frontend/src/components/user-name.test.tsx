import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { Translated } from './translated';
import { UserName } from './user-name';

const RLO = '\u202E';

describe('UserName', () => {
  it('shows the staff mark for is_staff, outside the name, and the name alone under the test id', () => {
    render(<UserName user={{ display_name: 'Mina', is_staff: true }} testId="who" />);
    const name = screen.getByTestId('who');
    expect(name.tagName).toBe('BDI');
    expect(name.textContent).toBe('Mina');
    const mark = screen.getByTestId('staff-mark');
    expect(mark).toHaveTextContent('Staff');
    expect(mark).toHaveClass('staff-mark');
    expect(name.contains(mark)).toBe(false);
  });

  it.each(['Admin ✔', 'Staff', 'Mina Staff', `${RLO}ffatS`])('gives no mark to a name that only looks like one: %s', (display_name) => {
    const { container } = render(<UserName user={{ display_name, is_staff: false }} />);
    expect(screen.queryByTestId('staff-mark')).toBeNull();
    expect(container.querySelector('.staff-mark')).toBeNull();
    // The name is plain text in its own element, and only that.
    expect(container.childNodes).toHaveLength(1);
    expect(container.firstChild?.textContent).toBe(display_name);
  });

  it('counts a missing is_staff (an older payload) as not staff', () => {
    render(<UserName user={{ display_name: 'Jun' }} />);
    expect(screen.queryByTestId('staff-mark')).toBeNull();
  });

  it('isolates a right-to-left override in a name so it cannot reverse the text after it', () => {
    const { container } = render(
      <p>
        <Translated id="chat.joined" params={{ name: <UserName user={{ display_name: `${RLO}nuJ` }} /> }} />
      </p>,
    );
    const name = screen.getByText(`${RLO}nuJ`);
    expect(name.tagName).toBe('BDI');
    // The rest of the sentence is outside the name's <bdi>.
    expect(container.textContent).toBe(`${RLO}nuJ joined`);
    expect(name.parentElement?.tagName).toBe('P');
  });
});
