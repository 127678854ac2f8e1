import { t } from '@/lib/i18n';
import { formatTime } from '@/utils/format';

import type { Notice } from '../api/chat-state';

export function NoticeRow({ notice }: { notice: Notice }) {
  const text = t(notice.event === 'join' ? 'chat.joined' : 'chat.left', { name: notice.user.display_name });
  return (
    <li className={`notice notice--${notice.event}`} data-testid="system-notice" data-event={notice.event}>
      <span>{text}</span>
      <time dateTime={notice.at}>{formatTime(notice.at)}</time>
    </li>
  );
}
