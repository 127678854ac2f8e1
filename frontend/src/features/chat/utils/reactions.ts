import { t, tCount } from '@/lib/i18n';
import type { Reaction } from '@/lib/protocol';

/** Names listed in full up to this many; past it the first two and "and N others". */
const NAMES_SHOWN = 3;

/** Whether the user is among those who reacted with it. */
export function reactedBy(reaction: Reaction, youId: number | undefined): boolean {
  return youId !== undefined && reaction.users.some((u) => u.id === youId);
}

/** Who reacted: "Mina, Jun", or "Mina, Jun and 3 others" for a long list. */
export function reactionNames(reaction: Reaction): string {
  const names = reaction.users.map((u) => u.display_name);
  if (names.length <= NAMES_SHOWN) return names.join(', ');
  return `${names.slice(0, 2).join(', ')} ${tCount('chat.reactionOthers', names.length - 2)}`;
}

/** What a chip says to a screen reader and in its tooltip: "👍 2: Mina, Jun". */
export function reactionLabel(reaction: Reaction): string {
  return t('chat.reactionLabel', { emoji: reaction.emoji, count: reaction.users.length, names: reactionNames(reaction) });
}
