import { ApiError } from '@/lib/api-client';
import type { ApiClient } from '@/lib/api-client';
import { isMessage, withAuthorStaffFlag } from '@/lib/protocol';
import type { Message } from '@/lib/protocol';

/** What to ask `GET /api/search/`. `q` goes as typed: the server reads its grammar. */
export interface SearchQuery {
  q: string;
  /** One room's slug (a room's own box); without it, every room the user can see. */
  room?: string;
  /** The next page: results older than this message id (the last result of the page before). */
  before?: number;
  limit?: number;
}

/** One page of matches, newest first, and the words searched for (lower-cased) to mark them by. */
export interface SearchPage {
  results: Message[];
  terms: string[];
  has_more: boolean;
}

/**
 * The answer checked: malformed results are dropped rather than failing the page, as are deleted
 * ones (the server leaves those out; a copy deleted since must not show its body).
 */
export function parseSearchPage(v: unknown): SearchPage | null {
  if (typeof v !== 'object' || v === null) return null;
  const answer = v as Record<string, unknown>;
  if (!Array.isArray(answer.results)) return null;
  const results = answer.results.filter(isMessage).filter((m) => !m.deleted).map(withAuthorStaffFlag);
  const terms = Array.isArray(answer.terms)
    ? answer.terms.filter((term): term is string => typeof term === 'string' && term !== '').map((term) => term.toLowerCase())
    : [];
  return { results, terms, has_more: answer.has_more === true };
}

export function createSearchApi(api: ApiClient) {
  return {
    /** Throws the server's refusal as an ApiError (`invalid_field` with a sentence worth showing, `rate_limited`…). */
    async search({ q, room, before, limit }: SearchQuery): Promise<SearchPage> {
      const page = parseSearchPage(await api.get<unknown>('/api/search/', { q, room, before, limit }));
      if (!page) throw new ApiError(200, 'invalid_response', 'The server sent an answer this client does not understand.');
      return page;
    },
  };
}

export type SearchApi = ReturnType<typeof createSearchApi>;
