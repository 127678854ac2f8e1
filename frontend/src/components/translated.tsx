import { Fragment } from 'react';
import type { ReactNode } from 'react';

import { tParts } from '@/lib/i18n';
import type { MessageKey } from '@/lib/i18n';

/**
 * A translated text whose `{name}` parameters are elements, such as a <UserName>: the parameters
 * keep their own elements instead of being flattened into the text.
 */
export function Translated({ id, params }: { id: MessageKey; params: Record<string, ReactNode> }) {
  return (
    <>
      {tParts(id, params).map((part, i) => (
        <Fragment key={i}>{part}</Fragment>
      ))}
    </>
  );
}
