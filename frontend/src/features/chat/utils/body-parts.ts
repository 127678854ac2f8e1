import { mentionRanges } from '@/lib/mentions';
import type { UserRef } from '@/lib/protocol';

export type BodyPart = { kind: 'text'; text: string } | { kind: 'mention'; text: string; user: UserRef } | { kind: 'room'; text: string };

/**
 * Text of a body (a whole plain body, or one run of text of its Markdown) cut into text and the
 * mentions the server found: each `<@id>` whose id is in `mentions` (any other stays text), and
 * `@room` when `mentionsRoom`.
 */
export function textParts(text: string, mentions: readonly UserRef[] = [], mentionsRoom = false): BodyPart[] {
  const ranges = mentionRanges(text, mentions, mentionsRoom);
  if (ranges.length === 0) return [{ kind: 'text', text }];
  const parts: BodyPart[] = [];
  let at = 0;
  for (const range of ranges) {
    if (range.start < at) continue;
    if (range.start > at) parts.push({ kind: 'text', text: text.slice(at, range.start) });
    const matched = text.slice(range.start, range.end);
    parts.push(range.kind === 'user' ? { kind: 'mention', text: matched, user: range.user } : { kind: 'room', text: matched });
    at = range.end;
  }
  if (at < text.length) parts.push({ kind: 'text', text: text.slice(at) });
  return parts;
}
