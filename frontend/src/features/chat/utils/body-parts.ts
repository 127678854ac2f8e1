import { mentionRanges } from '@/lib/mentions';
import type { UserRef } from '@/lib/protocol';
import { linkify } from '@/utils/linkify';
import type { Segment } from '@/utils/linkify';

export type BodyPart = Segment | { kind: 'mention'; text: string; user: UserRef } | { kind: 'room'; text: string };

/**
 * A message body cut into plain text, links and the mentions the server found. Links are found
 * first and stay whole (an `@room` inside a URL is part of the URL); mentions are found in the
 * whole body, so what comes before one is judged in context, then placed in the text between links.
 */
export function bodyParts(text: string, mentions: readonly UserRef[] = [], mentionsRoom = false): BodyPart[] {
  const segments = linkify(text);
  const ranges = mentionRanges(text, mentions, mentionsRoom);
  if (ranges.length === 0) return segments;
  const parts: BodyPart[] = [];
  let offset = 0;
  for (const segment of segments) {
    const start = offset;
    const end = start + segment.text.length;
    offset = end;
    if (segment.kind === 'link') {
      parts.push(segment);
      continue;
    }
    let at = start;
    for (const range of ranges) {
      if (range.start < at || range.end > end) continue;
      if (range.start > at) parts.push({ kind: 'text', text: text.slice(at, range.start) });
      const matched = text.slice(range.start, range.end);
      parts.push(range.kind === 'user' ? { kind: 'mention', text: matched, user: range.user } : { kind: 'room', text: matched });
      at = range.end;
    }
    if (at < end) parts.push({ kind: 'text', text: text.slice(at, end) });
  }
  return parts;
}
