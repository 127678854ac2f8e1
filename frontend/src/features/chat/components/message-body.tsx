import { Fragment, useMemo } from 'react';
import type { ReactNode } from 'react';
import type { Token } from 'markdown-it';

import type { UserRef } from '@/lib/protocol';

import { textParts } from '../utils/body-parts';
import { MAX_INLINE_ELEMENTS, MAX_NESTING, parseBody, safeHref } from '../utils/markdown';

interface Props {
  text: string;
  /** The people the server found mentioned (`message.mentions`): their `<@id>` shows as `@Name`. */
  mentions?: readonly UserRef[];
  /** The server found `@room` in it. */
  mentionsRoom?: boolean;
  /** Your id: a mention of you stands out more. */
  youId?: number;
}

/** Every link opens apart from the app, and tells its target and search engines nothing. */
const REL = 'noopener noreferrer nofollow';

interface Scope {
  mentions: readonly UserRef[];
  mentionsRoom: boolean;
  youId?: number;
  /** Inline elements this body may still make (MAX_INLINE_ELEMENTS); past it, markup is text. */
  budget: { left: number };
}

/**
 * A message body as Markdown (utils/markdown.ts), drawn as React elements from markdown-it's
 * tokens: each token type maps to one fixed element and any other shows its text, so nothing in
 * a body can choose an element, an attribute or a style, and React escapes all text. Links go
 * only to http(s) and mailto addresses; an image shows as a link to it (nothing loads from a
 * body); a heading as a bold paragraph (it is chat). Mentions are those the server found, drawn
 * in any text that is not code or an address, each name isolated in <bdi> like every name.
 * `dir="auto"` takes the direction from the body's first strong letter, so right-to-left text or
 * an override in it cannot reorder what follows (the edited mark).
 */
export function MessageBody({ text, mentions = [], mentionsRoom = false, youId }: Props) {
  const tokens = useMemo(() => parseBody(text), [text]);
  const scope: Scope = { mentions, mentionsRoom, youId, budget: { left: MAX_INLINE_ELEMENTS } };
  if (tokens === null) {
    return (
      <span className="message__body" dir="auto">
        {plainText(text, scope)}
      </span>
    );
  }
  // One paragraph (most messages) flows inline, as plain text did, with the edited mark after it.
  const [first, only] = tokens;
  if (tokens.length === 0 || (tokens.length === 3 && first?.type === 'paragraph_open' && only?.type === 'inline')) {
    return (
      <span className="message__body" dir="auto">
        {only ? draw(only.children ?? [], scope) : null}
      </span>
    );
  }
  return (
    <div className="message__body message__body--blocks" dir="auto">
      {draw(tokens, scope)}
    </div>
  );
}

interface Frame {
  open: Token | null;
  key: number;
  children: ReactNode[];
  /** Past MAX_NESTING or the budget: drawn as typed (its markup around its content), no element. */
  flat: boolean;
}

/**
 * Tokens to elements with a stack rather than recursion: an opening token starts an element, its
 * closing token ends it. markdown-it stops blocks at MAX_NESTING, but builds emphasis after that
 * check (2,000 `*` on each side nest 1,000 deep), so elements deeper than MAX_NESTING are not
 * made here: their markup shows as text. So are inline elements past the body's budget (`_*`
 * repeated makes 1,300 of them).
 */
function draw(tokens: readonly Token[], scope: Scope): ReactNode[] {
  const root: Frame = { open: null, key: 0, children: [], flat: false };
  const stack: Frame[] = [root];
  // Inside an autolink the text is the address itself: no mentions in it.
  let autolinks = 0;
  const close = (closing: Token | null) => {
    const frame = stack.pop();
    const parent = stack[stack.length - 1];
    if (!frame?.open || !parent) return;
    if (isAutolink(frame.open)) autolinks -= 1;
    // A flat frame wrote into its parent's children all along: only its closing markup is left.
    if (frame.flat) append(parent.children, closing?.markup ?? '');
    else parent.children.push(element(frame.open, frame.key, frame.children));
  };
  tokens.forEach((token, key) => {
    const top = stack[stack.length - 1] ?? root;
    if (token.nesting === 1) {
      const flat = stack.length > MAX_NESTING || (!token.block && !spend(scope));
      if (flat) append(top.children, token.markup);
      stack.push({ open: token, key, children: flat ? top.children : [], flat });
      if (isAutolink(token)) autolinks += 1;
    } else if (token.nesting === -1) {
      if (stack.length > 1) close(token);
    } else {
      append(top.children, leaf(token, key, scope, autolinks > 0));
    }
  });
  while (stack.length > 1) close(null);
  return root.children;
}

/** Takes one inline element from the body's budget; false when none is left. */
function spend(scope: Scope): boolean {
  if (scope.budget.left <= 0) return false;
  scope.budget.left -= 1;
  return true;
}

const isAutolink = (token: Token) => token.type === 'link_open' && token.info === 'auto';

/** Adjacent runs of text join into one: one DOM text node, not thousands, in a flattened run. */
function append(children: ReactNode[], node: ReactNode) {
  const last = children[children.length - 1];
  if (typeof node === 'string' && typeof last === 'string') children[children.length - 1] = last + node;
  else children.push(node);
}

function element(open: Token, key: number, children: ReactNode[]): ReactNode {
  switch (open.type) {
    case 'paragraph_open':
      // A tight list's items hold their text without a paragraph.
      return open.hidden ? <Fragment key={key}>{children}</Fragment> : <p key={key}>{children}</p>;
    case 'heading_open':
      return (
        <p key={key}>
          <strong>{children}</strong>
        </p>
      );
    case 'blockquote_open':
      return <blockquote key={key}>{children}</blockquote>;
    case 'bullet_list_open':
      return <ul key={key}>{children}</ul>;
    case 'ordered_list_open': {
      const start = Number(open.attrGet('start') ?? 1);
      return (
        <ol key={key} start={start === 1 ? undefined : start}>
          {children}
        </ol>
      );
    }
    case 'list_item_open':
      return <li key={key}>{children}</li>;
    case 'em_open':
      return <em key={key}>{children}</em>;
    case 'strong_open':
      return <strong key={key}>{children}</strong>;
    case 's_open':
      return <del key={key}>{children}</del>;
    case 'link_open':
      return link(key, safeHref(String(open.attrGet('href') ?? '')), children);
    default:
      return <Fragment key={key}>{children}</Fragment>;
  }
}

function leaf(token: Token, key: number, scope: Scope, plain: boolean): ReactNode {
  switch (token.type) {
    case 'inline':
      return <Fragment key={key}>{draw(token.children ?? [], scope)}</Fragment>;
    case 'text': {
      if (plain) return token.content;
      const parts = plainText(token.content, scope);
      const [only] = parts;
      return parts.length === 1 && typeof only === 'string' ? only : <Fragment key={key}>{parts}</Fragment>;
    }
    case 'softbreak':
      // The bubble keeps line breaks (white-space: pre-wrap): a Shift+Enter shows as typed.
      return '\n';
    case 'hardbreak':
      return <br key={key} />;
    case 'code_inline':
      return spend(scope) ? <code key={key}>{token.content}</code> : token.markup + token.content + token.markup;
    case 'fence':
    case 'code_block':
      return (
        <pre key={key}>
          <code>{token.content.replace(/\n$/, '')}</code>
        </pre>
      );
    case 'hr':
      return <hr key={key} />;
    case 'image': {
      // A link to the picture, never an <img>: a picture in a message would load for everyone
      // who scrolls past it, telling its host who read the message and when.
      const src = safeHref(String(token.attrGet('src') ?? ''));
      const alt = (token.children ?? []).map((child) => child.content).join('');
      return link(key, spend(scope) ? src : null, alt || src);
    }
    default:
      return <Fragment key={key}>{token.content}</Fragment>;
  }
}

/** A link to a safe address, or its content as text where the address is not one. */
function link(key: number, href: string | null, content: ReactNode): ReactNode {
  return href === null ? (
    <Fragment key={key}>{content}</Fragment>
  ) : (
    <a key={key} href={href} target="_blank" rel={REL}>
      {content}
    </a>
  );
}

/** Text with the mentions the server found drawn as mentions. */
function plainText(text: string, scope: Scope): ReactNode[] {
  return textParts(text, scope.mentions, scope.mentionsRoom).map((part, i) => {
    switch (part.kind) {
      case 'mention':
        return (
          <span
            key={i}
            className={`mention${part.user.id === scope.youId ? ' mention--me' : ''}`}
            data-testid="mention"
            data-user-id={part.user.id}
          >
            @<bdi>{part.user.display_name}</bdi>
          </span>
        );
      case 'room':
        return (
          <span key={i} className="mention mention--room" data-testid="mention-room">
            {part.text}
          </span>
        );
      default:
        return part.text;
    }
  });
}
