import MarkdownIt from 'markdown-it';
import type { Token } from 'markdown-it';

/**
 * Message bodies are Markdown written by anyone. markdown-it parses them into a token stream that
 * `MessageBody` maps to React elements token type by token type; its HTML renderer is never
 * used, so nothing reaches the DOM as HTML. This module holds the rules of what may become
 * markup; the component only draws.
 *
 * markdown-it rather than a syntax-tree parser (micromark, under react-markdown): on hostile
 * 4,000-character bodies (thousands of nested quotes or lists, runs of `*_`) it parses in a few
 * milliseconds where micromark took 100–800 ms, and it caps nesting itself (`maxNesting`).
 */

/**
 * How deep blocks (quotes, lists) and inline markup (emphasis, links) may nest. Inline markup
 * deeper than this stays text; a body whose blocks reach it shows whole as plain text (markdown-it
 * stops parsing blocks there, and what it dropped must still show).
 */
export const MAX_NESTING = 20;

/**
 * How many inline elements (emphasis, links, code…) one body may make; the rest of its inline
 * markup shows as typed. Even a dense real message stays far below it, and it bounds the work a
 * hostile 4,000 characters can cause (`_*` repeated is 1,300 elements).
 */
export const MAX_INLINE_ELEMENTS = 500;

const SAFE_PROTOCOLS = new Set(['http:', 'https:', 'mailto:']);

/**
 * The address a link may point to, or `null`: only absolute `http:`, `https:` and `mailto:` URLs,
 * judged by the browser's own URL parser (so `JaVaScRiPt:`, `java\tscript:` or a leading control
 * character are read exactly as a click would read them). Relative addresses are refused too: a
 * message has no base to be relative to.
 */
export function safeHref(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  return SAFE_PROTOCOLS.has(parsed.protocol) ? parsed.href : null;
}

const md = new MarkdownIt('commonmark', { html: false, linkify: true, maxNesting: MAX_NESTING })
  // GFM's ~~strike~~ (two tildes: `~5 min` is no strike) and bare https:// and e-mail links.
  .enable(['strikethrough', 'linkify'])
  // Text pasted with a four-space indent stays text (code is fenced with ``` in chat), and a
  // `[label]: url` line stays visible rather than defining a reference.
  .disable(['code', 'reference']);
// Only addresses written with their scheme (and e-mail addresses): `main.py` or `notes.md` in a
// sentence are file names, not links.
md.linkify.set({ fuzzyLink: false });
// A link or image to any other address is not made: its Markdown shows as typed.
md.validateLink = (url) => safeHref(url) !== null;

/**
 * The body's block tokens (their inline content in `children`), or `null` where it is to be
 * shown as plain text: its blocks nest `MAX_NESTING` deep, or the parser failed on input nobody
 * foresaw.
 */
export function parseBody(text: string): Token[] | null {
  let tokens: Token[];
  try {
    tokens = md.parse(text, {});
  } catch {
    return null;
  }
  // A block opened at the last level has had its content dropped by the parser.
  return tokens.some((t) => t.nesting === 1 && t.level >= MAX_NESTING - 1) ? null : tokens;
}
