import { useEffect, useState } from 'react';

import type { Member, UserRef } from '@/lib/protocol';

/** How long typing pauses before the members are asked for. */
export const MENTION_SEARCH_DEBOUNCE_MS = 150;
/** `@` at the start or after whitespace, then what is typed up to the caret (no space, no `@`). */
const TRIGGER = /(?:^|\s)@([^\s@]{0,32})$/u;

export interface MentionSource {
  /** The room's members whose name contains `q`, online first (`GET …/members/?q=`). */
  search: (q: string) => Promise<Member[]>;
  /** `@room` is offered: the room allows it, or you are a moderator. */
  canMentionRoom: boolean;
  /** You: never suggested. */
  selfId: number;
}

export type MentionOption = { kind: 'room'; key: string } | { kind: 'member'; key: string; member: Member };

export interface Trigger {
  /** Where the `@` is. */
  start: number;
  query: string;
}

/** The mention being typed at `caret`, if any. */
export function findTrigger(text: string, caret: number): Trigger | null {
  const match = TRIGGER.exec(text.slice(0, caret));
  if (!match) return null;
  const query = match[1] ?? '';
  return { start: caret - query.length - 1, query };
}

/**
 * The suggestions for the mention being typed: `@room` first where it may be used, then the
 * members the server found (asked once typing pauses), narrowed at once to what is typed so the
 * list does not wait on the network.
 */
export function useMentionOptions(source: MentionSource | undefined, trigger: Trigger | null): MentionOption[] {
  const [found, setFound] = useState<Member[]>([]);
  const query = trigger?.query ?? null;

  useEffect(() => {
    if (!source || query === null) return;
    let current = true;
    const timer = setTimeout(() => {
      source.search(query).then(
        (members) => {
          if (current) setFound(members);
        },
        () => undefined,
      );
    }, MENTION_SEARCH_DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [source, query]);

  if (!source || query === null) return [];
  const lower = query.toLowerCase();
  const options: MentionOption[] = [];
  if (source.canMentionRoom && 'room'.startsWith(lower)) options.push({ kind: 'room', key: 'room' });
  for (const member of found) {
    if (member.id !== source.selfId && member.display_name.toLowerCase().includes(lower)) {
      options.push({ kind: 'member', key: String(member.id), member });
    }
  }
  return options;
}

/** What picking an option puts in the text: `@Name ` (or `@room `), replacing what was typed. */
export function applyPick(text: string, trigger: Trigger, caret: number, option: MentionOption): { text: string; caret: number; user: UserRef | null } {
  const inserted = `@${option.kind === 'room' ? 'room' : option.member.display_name} `;
  return {
    text: text.slice(0, trigger.start) + inserted + text.slice(caret),
    caret: trigger.start + inserted.length,
    user: option.kind === 'member' ? option.member : null,
  };
}
