import { locale } from '@/lib/i18n';

const dayFormat = new Intl.DateTimeFormat(locale, { weekday: 'long', month: 'long', day: 'numeric' });

/** The line above a day's first message, in the timeline and in the context view. */
export function DayDivider({ date }: { date: string }) {
  return (
    <li className="day-divider" role="separator">
      <span>{dayFormat.format(new Date(date))}</span>
    </li>
  );
}
