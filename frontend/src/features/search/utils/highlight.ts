/**
 * Which words of a result to mark. The server matches a searched word against the start of a
 * body's words (`meet` finds `meetings`, `회의` finds `회의를`), case-insensitively; the client
 * marks the same way, from the `terms` the server says it searched for, so what is marked is
 * what matched rather than the client's own reading of the query.
 */

/** A word as the server counts one: a run of letters or digits in any script. */
const WORD = /[\p{L}\p{N}]+/gu;

export interface TextPart {
  text: string;
  mark: boolean;
}

/** Compared in one normal form and case, so `Release` and a composed/decomposed `회의` agree. */
const fold = (s: string) => s.normalize('NFC').toLowerCase();

/**
 * The words to look for: each term folded and cut into words (a quoted phrase may arrive as one
 * term), empty ones dropped.
 */
export function searchWords(terms: readonly string[]): string[] {
  const words = new Set<string>();
  for (const term of terms) for (const word of fold(term).match(WORD) ?? []) words.add(word);
  return [...words];
}

/**
 * `text` cut into runs, each whole word that starts with a searched word marked. A term inside a
 * word (`eet` in `meeting`) marks nothing: words only match from their start. The parts are
 * plain strings for React to render as text; nothing here is HTML.
 */
export function highlightParts(text: string, terms: readonly string[]): TextPart[] {
  const words = searchWords(terms);
  const parts: TextPart[] = [];
  const push = (piece: string, mark: boolean) => {
    if (piece === '') return;
    const last = parts.at(-1);
    if (last && last.mark === mark && !mark) last.text += piece;
    else parts.push({ text: piece, mark });
  };
  let at = 0;
  if (words.length > 0) {
    for (const match of text.matchAll(WORD)) {
      const word = fold(match[0]);
      if (!words.some((w) => word.startsWith(w))) continue;
      push(text.slice(at, match.index), false);
      push(match[0], true);
      at = match.index + match[0].length;
    }
  }
  push(text.slice(at), false);
  return parts;
}

/** Characters kept before the first marked word when a long body is cut to show it. */
const LEAD = 40;

const isWordChar = (c: string | undefined) => c !== undefined && /^[\p{L}\p{N}]$/u.test(c);

/**
 * At most `max` characters (code points) of `text`, cut so the first word that matched shows:
 * a 4,000-character body would otherwise push its match out of a result's few lines. A cut end
 * gets an ellipsis. The cut at the start moves to a word's start, so the tail of a word never
 * shows (and never gets marked as if it were a word of its own).
 */
export function excerptAround(text: string, terms: readonly string[], max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  const parts = highlightParts(text, terms);
  const firstMark = parts.findIndex((p) => p.mark);
  const markAt = firstMark < 0 ? 0 : [...parts.slice(0, firstMark).map((p) => p.text).join('')].length;
  let start = Math.max(0, Math.min(markAt - LEAD, chars.length - max));
  while (start > 0 && start < markAt && isWordChar(chars[start - 1]) && isWordChar(chars[start])) start++;
  const end = Math.min(chars.length, start + max);
  const kept = chars.slice(start, end).join('');
  return start > 0 ? `…${kept.trimStart()}${end < chars.length ? '…' : ''}` : `${kept}${end < chars.length ? '…' : ''}`;
}
