import { useCallback, useRef, useState } from 'react';

import { ApiError } from '@/lib/api-client';
import type { Message } from '@/lib/protocol';

import type { SearchApi } from '../api/search-api';

export interface SearchState {
  /** The query the results answer, as sent; null before the first search. */
  query: string | null;
  /** The room it was limited to, so further pages ask the same thing. */
  room: string | undefined;
  status: 'idle' | 'loading' | 'done' | 'error';
  /** Newest first, each once. */
  results: Message[];
  terms: string[];
  hasMore: boolean;
  loadingMore: boolean;
  /** Why the last request failed: the search itself (`status` 'error') or a further page. */
  error: ApiError | null;
}

const IDLE: SearchState = {
  query: null,
  room: undefined,
  status: 'idle',
  results: [],
  terms: [],
  hasMore: false,
  loadingMore: false,
  error: null,
};

const asApiError = (err: unknown) => (err instanceof ApiError ? err : new ApiError(0, 'network', String(err)));

/**
 * A search and its further pages. A new search (or a reset) supersedes whatever was still on its
 * way, so an answer to an older query typed a moment before can never replace a newer one.
 */
export function useMessageSearch(api: SearchApi) {
  const [state, setState] = useState<SearchState>(IDLE);
  /** Bumped by every search and reset; an answer for an older number is dropped. */
  const generation = useRef(0);

  const search = useCallback(
    async (text: string, room?: string) => {
      const q = text.trim();
      if (!q) return;
      const mine = ++generation.current;
      setState({ ...IDLE, query: q, room, status: 'loading' });
      try {
        const page = await api.search({ q, room });
        if (mine !== generation.current) return;
        setState({ ...IDLE, query: q, room, status: 'done', results: page.results, terms: page.terms, hasMore: page.has_more });
      } catch (err) {
        if (mine !== generation.current) return;
        setState({ ...IDLE, query: q, room, status: 'error', error: asApiError(err) });
      }
    },
    [api],
  );

  const loadMore = useCallback(async () => {
    const last = state.results.at(-1);
    if (state.status !== 'done' || !state.hasMore || state.loadingMore || !last || state.query === null) return;
    const mine = generation.current;
    const { query: q, room } = state;
    setState((s) => ({ ...s, loadingMore: true, error: null }));
    try {
      const page = await api.search({ q, room, before: last.id });
      if (mine !== generation.current) return;
      setState((s) => {
        // Pages are cut by id; should the server's order ever repeat a message across two, it shows once.
        const held = new Set(s.results.map((m) => m.id));
        const fresh = page.results.filter((m) => !held.has(m.id));
        return { ...s, results: [...s.results, ...fresh], hasMore: page.has_more, loadingMore: false };
      });
    } catch (err) {
      if (mine !== generation.current) return;
      setState((s) => ({ ...s, loadingMore: false, error: asApiError(err) }));
    }
  }, [api, state]);

  const reset = useCallback(() => {
    generation.current++;
    setState(IDLE);
  }, []);

  return { state, search, loadMore, reset };
}
