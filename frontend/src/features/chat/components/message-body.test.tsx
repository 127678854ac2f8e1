import { render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import type { UserRef } from '@/lib/protocol';

import { MAX_INLINE_ELEMENTS, MAX_NESTING } from '../utils/markdown';
import { MessageBody } from './message-body';

const jun: UserRef = { id: 4, display_name: 'Jun', avatar_url: '' };

function show(text: string, opts: { mentions?: UserRef[]; mentionsRoom?: boolean } = {}) {
  const { container } = render(<MessageBody text={text} mentions={opts.mentions} mentionsRoom={opts.mentionsRoom} youId={1} />);
  const body = container.querySelector('.message__body');
  if (!(body instanceof HTMLElement)) throw new Error('no message body');
  return body;
}

/** Everything the renderer may ever produce; anything else in a body means input chose markup. */
const ELEMENTS = ['SPAN', 'DIV', 'P', 'STRONG', 'EM', 'DEL', 'CODE', 'PRE', 'BLOCKQUOTE', 'UL', 'OL', 'LI', 'A', 'BR', 'HR', 'BDI'];
const ATTRIBUTES = ['class', 'dir', 'href', 'target', 'rel', 'start', 'data-testid', 'data-user-id'];

function expectOnlySafeMarkup(body: HTMLElement) {
  const tags = new Set([body, ...body.querySelectorAll('*')].map((el) => el.tagName));
  const attributes = new Set([body, ...body.querySelectorAll('*')].flatMap((el) => el.getAttributeNames()));
  expect([...tags].filter((tag) => !ELEMENTS.includes(tag))).toEqual([]);
  expect([...attributes].filter((name) => !ATTRIBUTES.includes(name))).toEqual([]);
  for (const a of body.querySelectorAll('a')) {
    expect(['http:', 'https:', 'mailto:']).toContain(new URL(a.href).protocol);
    expect(a).toHaveAttribute('target', '_blank');
    expect(a).toHaveAttribute('rel', 'noopener noreferrer nofollow');
  }
}

function depthOf(root: Element): number {
  let deepest = 0;
  const stack: [Element, number][] = [[root, 0]];
  for (let item = stack.pop(); item; item = stack.pop()) {
    const [el, depth] = item;
    deepest = Math.max(deepest, depth);
    for (const child of el.children) stack.push([child, depth + 1]);
  }
  return deepest;
}

describe('MessageBody: hostile input renders as text', () => {
  // [what, body, text that must show]
  const cases: [string, string, string | null][] = [
    ['a script tag', '<script>window.__pwned = 1</script>', '<script>window.__pwned = 1</script>'],
    ['a script tag inside a sentence', 'hi <script>alert(1)</script> there', 'hi <script>alert(1)</script> there'],
    ['an image with onerror', '<img src=x onerror=alert(1)>', '<img src=x onerror=alert(1)>'],
    ['svg with onload', '<svg onload=alert(1)><circle/></svg>', '<svg onload=alert(1)>'],
    ['an iframe', '<iframe src="javascript:alert(1)"></iframe>', '<iframe'],
    ['a style block', '<style>*{display:none}</style>', '<style>*{display:none}</style>'],
    ['an html anchor', '<a href="javascript:alert(1)">x</a>', '<a href="javascript:alert(1)">x</a>'],
    ['an html block around Markdown', '<div onclick="alert(1)">\n*x*\n</div>', '<div onclick="alert(1)">'],
    ['a javascript: link', '[x](javascript:alert(1))', 'x'],
    ['a mixed-case javascript: link', '[x](JaVaScRiPt:alert(1))', 'x'],
    ['an entity-encoded javascript: link', '[x](&#x6A;avascript:alert(1))', 'x'],
    ['a javascript: link with a tab', '[x](<java\tscript:alert(1)>)', 'x'],
    ['a data: link', '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)', 'x'],
    ['a vbscript: link', '[x](vbscript:msgbox(1))', 'x'],
    ['a file: link', '[x](file:///etc/passwd)', 'x'],
    ['a relative link', '[log out](/api/auth/logout/)', 'log out'],
    ['a javascript: autolink', '<javascript:alert(1)>', 'javascript:alert(1)'],
    ['a javascript: reference link', '[x][1]\n\n[1]: javascript:alert(1)', 'javascript:alert(1)'],
    ['a javascript: image', '![x](javascript:alert(1))', 'x'],
    ['an image', '![a](http://x.test/y.png)', 'a'],
    ['entities', '&lt;b&gt;bold&lt;/b&gt; &amp;lt;i&amp;gt; &#60;script&#62;', '<b>bold</b> &lt;i&gt; <script>'],
    ['a title with quotes', '[x](https://example.com "a\\" onmouseover=\\"alert(1)")', 'x'],
  ];

  it.each(cases)('%s', (_what, text, shown) => {
    const body = show(text);
    expectOnlySafeMarkup(body);
    expect(body.querySelector('script, img, iframe, svg, style, object, embed, form, input')).toBeNull();
    expect(body.querySelector('[onerror], [onclick], [onload], [onmouseover], [style], [src]')).toBeNull();
    if (shown !== null) expect(body.textContent).toContain(shown);
  });

  it('refuses every address but http, https and mailto', () => {
    for (const text of cases.map(([, t]) => t)) {
      const body = show(text);
      for (const a of body.querySelectorAll('a')) expect(a.getAttribute('href')).toMatch(/^(https?|mailto):/);
    }
    // A link that may not be made shows as the Markdown typed.
    const refused = show('[x](javascript:alert(1))');
    expect(refused.querySelector('a')).toBeNull();
    expect(refused.textContent).toBe('[x](javascript:alert(1))');
    expect(show('![a](http://x.test/y.png)').querySelector('a')).toHaveAttribute('href', 'http://x.test/y.png');
  });

  // Each is about 4,000 characters: the server's limit on a message.
  const nesting: [string, string][] = [
    ['4,000 quote levels', '>'.repeat(3990) + ' deep'],
    ['2,000 list levels', '+ '.repeat(1995) + 'deep'],
    ['alternating lists and quotes', '> - 1. '.repeat(570) + 'deep'],
    ['2,000 asterisks each side', '*'.repeat(1998) + 'deep' + '*'.repeat(1998)],
    ['underscores and stars', '_*'.repeat(1000) + 'deep' + '*_'.repeat(998)],
    ['4,000 open brackets', '['.repeat(4000)],
    ['nested link labels', '['.repeat(1300) + 'deep' + '](https://x.test)'.repeat(150)],
    ['nested image labels', '!['.repeat(1000) + 'deep' + ']()'.repeat(650)],
    ['4,000 backticks', '`'.repeat(4000)],
    ['4,000 tildes', '~'.repeat(4000)],
    ['4,000 less-than signs', '<'.repeat(4000)],
    ['4,000 backslashes', '\\'.repeat(4000)],
    ['many unclosed emphases', '**a '.repeat(1000)],
    ['many ampersands', '&amp'.repeat(1000)],
    ['a deep list with a mention', '- ' + '* + '.repeat(990) + '<@4>'],
  ];

  it.each(nesting)('%s: renders quickly, capped, without throwing', (_what, text) => {
    expect(text.length).toBeLessThanOrEqual(4000);
    const started = performance.now();
    const body = show(text, { mentions: [jun] });
    const took = performance.now() - started;
    expect(took).toBeLessThan(200);
    expectOnlySafeMarkup(body);
    // Blocks and the inline markup in them nest at most MAX_NESTING deep each; a mention adds
    // its <span><bdi>.
    expect(depthOf(body)).toBeLessThanOrEqual(2 * MAX_NESTING + 3);
    // Nothing typed is lost past the cap: it shows as text.
    if (text.includes('deep')) expect(body.textContent).toContain('deep');
  });

  it('shows a body whose blocks nest MAX_NESTING deep whole as the text typed, mentions and all', () => {
    const text = '> '.repeat(MAX_NESTING) + 'deep <@4>';
    const body = show(text, { mentions: [jun] });
    expect(body.querySelector('blockquote')).toBeNull();
    expect(body.querySelector('[data-testid=mention]')).toHaveTextContent('@Jun');
    expect(body.textContent).toBe(text.replace('<@4>', '@Jun'));
    // One level less is still Markdown.
    expect(show('> '.repeat(MAX_NESTING - 2) + 'x').querySelectorAll('blockquote')).toHaveLength(MAX_NESTING - 2);
  });

  it('makes at most MAX_INLINE_ELEMENTS inline elements; past them the markup shows as typed', () => {
    const body = show('*a* `b` '.repeat(500));
    expect(body.querySelectorAll('em, code')).toHaveLength(MAX_INLINE_ELEMENTS);
    expect(body.textContent).toMatch(/\*a\* `b` \*a\* `b`$/);
  });

  it('shows a 4,000-character code block whole inside <pre><code>', () => {
    const line = 'x'.repeat(3990);
    const body = show('```\n' + line + '\n```');
    const code = body.querySelector('pre > code');
    expect(code?.textContent).toBe(line);
    expectOnlySafeMarkup(body);
  });
});

describe('MessageBody: Markdown', () => {
  it('draws bold, italic, strike, inline code and links as their elements', () => {
    const body = show('**bold** *italic* _also_ ~~gone~~ `a < b` see https://example.com');
    expect(body.querySelector('strong')).toHaveTextContent('bold');
    expect([...body.querySelectorAll('em')].map((e) => e.textContent)).toEqual(['italic', 'also']);
    expect(body.querySelector('del')).toHaveTextContent('gone');
    expect(body.querySelector('code')).toHaveTextContent('a < b');
    expect(body.querySelector('a')).toHaveAttribute('href', 'https://example.com/');
    // One paragraph flows inline, like plain text, so the "edited" mark can follow it.
    expect(body.tagName).toBe('SPAN');
    expect(body.querySelector('p')).toBeNull();
    expectOnlySafeMarkup(body);
  });

  it('keeps a single ~ as text', () => {
    const body = show('~5 min, ~10 at most');
    expect(body.querySelector('del')).toBeNull();
    expect(body).toHaveTextContent('~5 min, ~10 at most');
  });

  it('draws fenced code, quotes, lists and breaks as blocks', () => {
    const body = show(['```js', 'if (a < b) **not bold**', '```', '> quoted *words*', '', '- one', '- two', '', '3. three', '4. four', '', '---'].join('\n'));
    expect(body.tagName).toBe('DIV');
    expect(body.querySelector('pre > code')).toHaveTextContent('if (a < b) **not bold**');
    expect(body.querySelector('pre strong')).toBeNull();
    expect(body.querySelector('blockquote em')).toHaveTextContent('words');
    expect([...body.querySelectorAll('ul > li')].map((li) => li.textContent)).toEqual(['one', 'two']);
    expect(body.querySelector('ol')).toHaveAttribute('start', '3');
    expect(body.querySelectorAll('ol > li')).toHaveLength(2);
    // Tight list items hold their text, not a paragraph.
    expect(body.querySelector('li > p')).toBeNull();
    expect(body.querySelector('hr')).not.toBeNull();
    expectOnlySafeMarkup(body);
  });

  it('keeps line breaks typed with Shift+Enter', () => {
    expect(show('one\ntwo').textContent).toBe('one\ntwo');
  });

  it('leaves four-space indents as text, not code', () => {
    const body = show('    indented');
    expect(body.querySelector('pre, code')).toBeNull();
    expect(body).toHaveTextContent('indented');
  });

  it('draws headings as bold text, not headings', () => {
    const body = show('# Big\n\ntext');
    expect(body.querySelector('h1, h2, h3, h4, h5, h6')).toBeNull();
    expect(body.querySelector('p > strong')).toHaveTextContent('Big');
  });

  it('links addresses written with their scheme, and mail addresses, with rel and target', () => {
    const hrefs = (text: string) => [...show(text).querySelectorAll('a')].map((a) => a.getAttribute('href'));
    expect(hrefs('see https://example.com/a?b=1, then')).toEqual(['https://example.com/a?b=1']);
    expect(hrefs('(see http://x.test/a_(b))')).toEqual(['http://x.test/a_(b)']);
    expect(hrefs('<https://example.com>')).toEqual(['https://example.com/']);
    expect(hrefs('write to me@example.com')).toEqual(['mailto:me@example.com']);
    expect(hrefs('[mail](mailto:me@example.com)')).toEqual(['mailto:me@example.com']);
    // File names are not guessed to be addresses.
    expect(hrefs('see main.py and notes.md')).toEqual([]);
  });

  it('shows a reference definition as the text typed, its address linked', () => {
    const body = show('[docs][d]\n\n[d]: https://example.com/docs');
    expect(body).toHaveTextContent('[docs][d][d]: https://example.com/docs');
    expect([...body.querySelectorAll('a')].map((a) => a.getAttribute('href'))).toEqual(['https://example.com/docs']);
    expectOnlySafeMarkup(show('<https://example.com> me@example.com [m](mailto:me@example.com)'));
  });
});

describe('MessageBody: mentions', () => {
  it('draws mentions inside emphasis, links and list items, the same as in plain text', () => {
    const body = show('**hi <@4>** *<@4>*\n\n- ask <@4>\n\n[<@4>](https://example.com)', { mentions: [jun] });
    const mentions = body.querySelectorAll('[data-testid=mention]');
    expect(mentions).toHaveLength(4);
    expect(body.querySelector('strong [data-testid=mention]')).toHaveTextContent('@Jun');
    expect(body.querySelector('em [data-testid=mention]')).not.toBeNull();
    expect(body.querySelector('li [data-testid=mention]')).not.toBeNull();
    expect(body.querySelector('a [data-testid=mention]')).not.toBeNull();
    for (const m of mentions) {
      expect(m).toHaveClass('mention');
      expect(m).toHaveAttribute('data-user-id', '4');
      expect(m.querySelector('bdi')?.textContent).toBe('Jun');
    }
  });

  it('shows the token as typed inside code', () => {
    const body = show('`<@4>` and\n\n```\n<@4> @room\n```', { mentions: [jun], mentionsRoom: true });
    expect(body.querySelector('[data-testid=mention], [data-testid=mention-room]')).toBeNull();
    expect(body.querySelector('p > code')).toHaveTextContent('<@4>');
    expect(body.querySelector('pre > code')?.textContent).toBe('<@4> @room');
  });

  it('marks @room in emphasis, not inside an address, and only when the server found it', () => {
    expect(show('*@room* now', { mentionsRoom: true }).querySelector('em [data-testid=mention-room]')).toHaveTextContent('@room');
    const link = show('https://x.test/@room', { mentionsRoom: true });
    expect(link.querySelector('[data-testid=mention-room]')).toBeNull();
    expect(link.querySelector('a')).toHaveTextContent('https://x.test/@room');
    expect(show('*@room*', { mentionsRoom: false }).querySelector('[data-testid=mention-room]')).toBeNull();
  });

  it('leaves tokens of people the server did not find as text', () => {
    const body = show('**<@9>** <@4>', { mentions: [jun] });
    expect(body.querySelectorAll('[data-testid=mention]')).toHaveLength(1);
    expect(body).toHaveTextContent('<@9> @Jun');
  });

  it('finds a mention in text the parser changed, such as after an escape', () => {
    const body = show('\\*<@4>\\*', { mentions: [jun] });
    expect(body.querySelector('[data-testid=mention]')).toHaveTextContent('@Jun');
    expect(body).toHaveTextContent('*@Jun*');
  });
});
