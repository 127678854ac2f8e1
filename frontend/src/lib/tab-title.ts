import { totalMentions } from './memberships';
import type { Memberships } from './memberships';

/**
 * While the tab is hidden, its title starts with the unread mentions across rooms, `(2) General ·
 * Rooms`, so they show on the tab; once it is visible again the title is as the screen set it.
 * Only the prefix this module added is ever taken off, so a title of the screen's own that
 * starts like one is left alone.
 */
export function watchTabTitle(memberships: Memberships, doc: Document = document): () => void {
  let prefix = '';
  const base = () => (prefix && doc.title.startsWith(prefix) ? doc.title.slice(prefix.length) : doc.title);
  const apply = () => {
    const title = base();
    const count = totalMentions(memberships.getState());
    prefix = doc.hidden && count > 0 ? `(${count}) ` : '';
    if (doc.title !== prefix + title) doc.title = prefix + title;
  };
  const unsubscribe = memberships.subscribe(apply);
  doc.addEventListener('visibilitychange', apply);
  apply();
  return () => {
    unsubscribe();
    doc.removeEventListener('visibilitychange', apply);
    doc.title = base();
    prefix = '';
  };
}
