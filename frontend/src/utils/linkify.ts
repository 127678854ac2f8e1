export type Segment = { kind: 'text'; text: string } | { kind: 'link'; text: string; href: string };

const URL_RE = /\bhttps?:\/\/[^\s<>"']+/gi;
// Sentence punctuation right after a URL almost never belongs to it.
const TRAILING = /[.,;:!?)\]}'"]+$/;

/** Splits text into plain runs and http(s) links; only those two schemes can ever become hrefs. */
export function linkify(text: string): Segment[] {
  const out: Segment[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_RE)) {
    let url = match[0];
    const start = match.index ?? 0;
    const trail = url.match(TRAILING)?.[0] ?? '';
    if (trail && !(trail.startsWith(')') && url.includes('('))) url = url.slice(0, url.length - trail.length);
    if (start > last) out.push({ kind: 'text', text: text.slice(last, start) });
    out.push({ kind: 'link', text: url, href: url });
    last = start + url.length;
  }
  if (last < text.length) out.push({ kind: 'text', text: text.slice(last) });
  return out;
}
