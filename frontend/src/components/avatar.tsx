import { useState } from 'react';

import type { UserRef } from '@/lib/protocol';
import { hueFor, initials } from '@/utils/format';

export function Avatar({ user, size = 36 }: { user: UserRef; size?: number }) {
  const [broken, setBroken] = useState(false);
  const style = { width: size, height: size, fontSize: Math.round(size * 0.4) };
  // Only http(s) pictures: an avatar_url is user-influenced data.
  if (user.avatar_url && /^https?:\/\//i.test(user.avatar_url) && !broken) {
    return (
      <img
        className="avatar"
        src={user.avatar_url}
        alt=""
        style={style}
        referrerPolicy="no-referrer"
        onError={() => setBroken(true)}
      />
    );
  }
  return (
    <span
      className="avatar avatar--initials"
      aria-hidden="true"
      style={{ ...style, backgroundColor: `hsl(${hueFor(user.id)} 55% 45%)` }}
    >
      <bdi>{initials(user.display_name)}</bdi>
    </span>
  );
}
