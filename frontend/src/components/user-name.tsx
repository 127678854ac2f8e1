import { t } from '@/lib/i18n';
import { isStaff } from '@/lib/protocol';
import type { UserRef } from '@/lib/protocol';

/**
 * The staff badge. It is drawn from the server's `is_staff` only, as its own element after the
 * name, so no display name can look like it: a name is plain text inside its <bdi>, while the
 * mark is a styled pill (with a CSS-drawn tick) that no typed character reproduces. Its text is
 * a real word, so screen readers say "Staff".
 */
export function StaffMark() {
  return (
    <span className="staff-mark" data-testid="staff-mark" title={t('user.staffHint')}>
      {t('user.staff')}
    </span>
  );
}

interface Props {
  user: Pick<UserRef, 'display_name' | 'is_staff'>;
  /** A data-testid for the name itself: its text is exactly the display name, never the mark. */
  testId?: string;
  /** Extra classes for the name element (such as one that cuts a long name short). */
  className?: string;
}

/**
 * A user-supplied name, isolated in <bdi> so right-to-left or override characters in it cannot
 * reorder the text around it, followed by the staff mark for a staff account. Use it wherever a
 * user's name is shown.
 */
export function UserName({ user, testId, className }: Props) {
  return (
    <>
      <bdi className={className ? `user-name ${className}` : 'user-name'} data-testid={testId}>
        {user.display_name}
      </bdi>
      {isStaff(user) ? (
        <>
          {' '}
          <StaffMark />
        </>
      ) : null}
    </>
  );
}
