import { useEffect, useId, useMemo, useState } from 'react';
import type { FormEvent, KeyboardEvent, MouseEvent } from 'react';

import { UserName } from '@/components/user-name';
import { ApiError } from '@/lib/api-client';
import { t, tCount } from '@/lib/i18n';
import { tokensToNames } from '@/lib/mentions';
import type { Message, Room } from '@/lib/protocol';
import { formatFull, formatTime } from '@/utils/format';

import type { SearchApi } from '../api/search-api';
import { useMessageSearch } from '../hooks/use-message-search';
import type { SearchState } from '../hooks/use-message-search';
import { excerptAround, highlightParts } from '../utils/highlight';

import './search.css';

type RoomName = Pick<Room, 'slug' | 'name'>;

interface Props {
  api: SearchApi;
  /** The room whose own box this is: it searches that room, unless widened to every room. */
  room?: RoomName;
  /** Rooms known by name, to say where a result is (a room not listed is named by its slug). */
  rooms?: readonly RoomName[];
  /** The server's limit on a query's length (`limits.search_query_max_length`), where it names one. */
  maxLength?: number;
  /** Where a result leads (its room at the message), for the link's address. */
  hrefFor: (message: Message) => string;
  /** A result was chosen (a plain click or Enter): show the message in its room. */
  onOpen: (message: Message) => void;
  /** Escape or the close button; without it (the room list's box) Escape clears the search. */
  onClose?: () => void;
  /** The session ended: the server answered 401. */
  onUnauthorized?: () => void;
  autoFocus?: boolean;
}

/** Characters of a body shown in a result, cut around its first match. */
const EXCERPT_MAX = 280;

export function SearchPanel({ api, room, rooms = [], maxLength, hrefFor, onOpen, onClose, onUnauthorized, autoFocus = false }: Props) {
  const { state, search, loadMore, reset } = useMessageSearch(api);
  const [text, setText] = useState('');
  const [everywhere, setEverywhere] = useState(false);
  const inputId = useId();
  const names = useMemo(() => new Map([...rooms, ...(room ? [room] : [])].map((r) => [r.slug, r.name])), [rooms, room]);
  const label = room ? t('search.roomLabel', { room: room.name }) : t('search.label');
  // Results from one room need no room beside each; widened ones do.
  const showRoom = state.room === undefined;

  const unauthorized = state.error?.status === 401;
  useEffect(() => {
    if (unauthorized) onUnauthorized?.();
  }, [unauthorized, onUnauthorized]);

  const scopeOf = (widened: boolean) => (room && !widened ? room.slug : undefined);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void search(text, scopeOf(everywhere));
  };
  const widen = (widened: boolean) => {
    setEverywhere(widened);
    // The same words, asked again of the new scope.
    if (text.trim()) void search(text, scopeOf(widened));
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key !== 'Escape') return;
    e.preventDefault();
    e.stopPropagation();
    if (onClose) {
      onClose();
    } else {
      setText('');
      reset();
    }
  };

  return (
    <section className="search" aria-label={label} onKeyDown={onKeyDown} data-testid="search-panel">
      <form role="search" className="search__form" onSubmit={submit} data-testid="search-form">
        <label className="sr-only" htmlFor={inputId}>
          {label}
        </label>
        <input
          id={inputId}
          className="search__input"
          type="search"
          value={text}
          onChange={(e) => setText(e.target.value)}
          maxLength={maxLength}
          placeholder={t('search.placeholder')}
          autoComplete="off"
          spellCheck={false}
          enterKeyHint="search"
          // The box was opened on purpose (the room's Search button): type at once.
          autoFocus={autoFocus}
          dir="auto"
          data-testid="search-input"
        />
        <button type="submit" className="button button--primary" data-testid="search-submit">
          {t('search.submit')}
        </button>
        {onClose ? (
          <button type="button" className="button button--ghost search__close" aria-label={t('search.close')} title={t('search.close')} onClick={onClose} data-testid="search-close">
            <span aria-hidden="true">✕</span>
          </button>
        ) : null}
      </form>
      {room ? (
        <label className="search__scope">
          <input type="checkbox" checked={everywhere} onChange={(e) => widen(e.target.checked)} data-testid="search-everywhere" />
          {t('search.allRooms')}
        </label>
      ) : null}
      <p className="search__status muted" role="status" data-testid="search-status">
        {statusText(state)}
      </p>
      {state.error && !unauthorized ? (
        <p className="banner banner--error search__error" role="alert" data-testid="search-error">
          {errorText(state.error)}
        </p>
      ) : null}
      {state.results.length > 0 ? (
        <ol className="search__results" aria-label={t('search.results')} data-testid="search-results">
          {state.results.map((m) => (
            <li key={m.id}>
              <SearchResult message={m} terms={state.terms} roomName={showRoom ? (names.get(m.room) ?? m.room) : null} href={hrefFor(m)} onOpen={onOpen} />
            </li>
          ))}
        </ol>
      ) : null}
      {state.status === 'done' && state.hasMore ? (
        <button type="button" className="chip search__more" onClick={() => void loadMore()} disabled={state.loadingMore} data-testid="search-more">
          {state.loadingMore ? t('search.loadingMore') : t('search.more')}
        </button>
      ) : null}
    </section>
  );
}

function statusText(state: SearchState): string {
  if (state.status === 'loading') return t('search.loading');
  if (state.status !== 'done') return '';
  const count = state.results.length;
  if (count === 0) return t('search.empty');
  return tCount(state.hasMore ? 'search.foundMore' : 'search.found', count);
}

function errorText(error: ApiError): string {
  if (error.code === 'rate_limited') return t('search.rateLimited', { seconds: Math.max(1, Math.ceil(error.retryAfter ?? 1)) });
  if (error.isNetwork) return t('search.unreachable');
  // The server's sentence says what to fix ("No one is called …", "The query is too long …").
  if (error.code === 'invalid_field' || error.code === 'not_found') return error.message;
  return t('search.failed', { detail: error.message });
}

interface ResultProps {
  message: Message;
  terms: readonly string[];
  /** Shown when the results span rooms. */
  roomName: string | null;
  href: string;
  onOpen: (message: Message) => void;
}

function SearchResult({ message, terms, roomName, href, onOpen }: ResultProps) {
  // Mentions read as the names people see (`@Mina`), as in the room; the body stays plain text.
  const body = excerptAround(tokensToNames(message.body, message.mentions ?? []), terms, EXCERPT_MAX);
  const parts = highlightParts(body, terms);
  const open = (e: MouseEvent) => {
    // A click with a modifier (a new tab, a new window) is the browser's to follow.
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    onOpen(message);
  };
  return (
    <a className="search-result" href={href} onClick={open} data-testid="search-result" data-message-id={message.id} data-room={message.room}>
      <span className="search-result__meta">
        <span className="search-result__author">
          <UserName user={message.author} testId="search-result-author" />
        </span>
        {roomName !== null ? (
          <>
            {' · '}
            <bdi className="search-result__room" data-testid="search-result-room">
              {roomName}
            </bdi>
          </>
        ) : null}
        {' · '}
        <time className="search-result__time" dateTime={message.created_at} title={formatFull(message.created_at)}>
          {formatTime(message.created_at)}
        </time>
      </span>{' '}
      <span className="search-result__body" dir="auto" data-testid="search-result-body">
        {parts.map((part, i) => (part.mark ? <mark key={i}>{part.text}</mark> : part.text))}
      </span>
    </a>
  );
}
