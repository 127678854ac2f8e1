import { Translated } from '@/components/translated';
import { UserName } from '@/components/user-name';
import { formatTime } from '@/utils/format';

import type { Notice } from '../api/chat-state';

export function NoticeRow({ notice }: { notice: Notice }) {
  return (
    <li className={`notice notice--${notice.event}`} data-testid="system-notice" data-event={notice.event}>
      <span>
        <Translated id={notice.event === 'join' ? 'chat.joined' : 'chat.left'} params={{ name: <UserName user={notice.user} /> }} />
      </span>
      <time dateTime={notice.at}>{formatTime(notice.at)}</time>
    </li>
  );
}
