import type { Message } from '@/lib/protocol';

/** Whether the message concerns you: it names you, or @room when someone else wrote it. */
export function mentionsYou(message: Message, youId: number | undefined): boolean {
  if (youId === undefined || message.deleted) return false;
  return (message.mentions ?? []).some((u) => u.id === youId) || (message.mentions_room === true && message.author.id !== youId);
}
