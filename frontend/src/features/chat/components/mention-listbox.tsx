import { UserName } from '@/components/user-name';
import { t } from '@/lib/i18n';

import type { MentionOption } from '../hooks/use-mention-picker';

interface Props {
  /** Named by the message box's `aria-controls`; each option's id is `${id}-${option.key}`. */
  id: string;
  open: boolean;
  options: MentionOption[];
  activeIndex: number;
  onPick: (option: MentionOption) => void;
}

/**
 * The `@` suggestions under the message box's combobox: the keyboard stays in the box (arrows
 * move `aria-activedescendant`), and a click does not take the focus out of it.
 */
export function MentionListbox({ id, open, options, activeIndex, onPick }: Props) {
  return (
    <ul id={id} className="mention-listbox" role="listbox" aria-label={t('chat.mentionSuggestions')} hidden={!open} data-testid="mention-listbox">
      {open
        ? options.map((option, i) => (
            <li
              key={option.key}
              id={`${id}-${option.key}`}
              role="option"
              aria-selected={i === activeIndex}
              className={`mention-option${i === activeIndex ? ' mention-option--active' : ''}`}
              data-testid="mention-option"
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => onPick(option)}
            >
              {option.kind === 'room' ? (
                <>
                  <span className="mention-option__name">@room</span>
                  <span className="mention-option__hint">{t('chat.mentionRoom')}</span>
                </>
              ) : (
                <>
                  <span className={`dot${option.member.online ? ' dot--ok' : ''}`} aria-hidden="true" />
                  <span className="mention-option__name">
                    <UserName user={option.member} />
                  </span>
                </>
              )}
            </li>
          ))
        : null}
    </ul>
  );
}
