import { locale } from '@/lib/i18n';

const timeFormat = new Intl.DateTimeFormat(locale, { hour: 'numeric', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric' });
const fullFormat = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
const relative = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' });

export function formatTime(iso: string, now = new Date()): string {
  const d = new Date(iso);
  const sameDay = d.toDateString() === now.toDateString();
  return sameDay ? timeFormat.format(d) : `${dayFormat.format(d)} ${timeFormat.format(d)}`;
}

export function formatFull(iso: string): string {
  return fullFormat.format(new Date(iso));
}

export function formatAgo(iso: string, now = Date.now()): string {
  const seconds = Math.round((new Date(iso).getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  if (abs < 45) return relative.format(0, 'second');
  if (abs < 3600) return relative.format(Math.round(seconds / 60), 'minute');
  if (abs < 86_400) return relative.format(Math.round(seconds / 3600), 'hour');
  return relative.format(Math.round(seconds / 86_400), 'day');
}

/** Invisible direction and format controls: never an initial. */
const FORMAT_CONTROLS = /\p{Cf}/gu;

/** Up to two initials; Hangul names give their first syllable, which reads better than two. */
export function initials(name: string): string {
  const words = name.replace(FORMAT_CONTROLS, '').trim().split(/\s+/).filter(Boolean);
  if (words.length === 0) return '?';
  const first = [...(words[0] as string)][0] ?? '?';
  if (/[\u3131-\uD79D]/.test(first)) return first;
  const second = words.length > 1 ? ([...(words[words.length - 1] as string)][0] ?? '') : '';
  return (first + second).toUpperCase();
}

/** A stable hue per user so avatars without pictures are still told apart. */
export function hueFor(id: number): number {
  return (id * 137.508) % 360;
}
