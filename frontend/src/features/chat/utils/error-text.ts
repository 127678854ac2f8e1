import { ApiError } from '@/lib/api-client';
import { t } from '@/lib/i18n';
import type { MessageKey } from '@/lib/i18n';

const KNOWN_CODES = new Set([
  'body_too_long',
  'rate_limited',
  'empty_body',
  'room_archived',
  'unavailable',
  'message_deleted',
  'permission_denied',
  'not_found',
  'too_many_mentions',
  'room_mention_not_allowed',
  'invalid_reply',
  'invalid_emoji',
  'too_many_reactions',
]);

/** What an error's text may have to name: the server's limits (from `GET /api/auth/config/`). */
export interface ErrorContext {
  messageMaxLength: number;
  /** Different people one message may mention (`limits.mentions_max`), where known. */
  mentionsMax?: number;
}

/** The user's words for a server error code, or the server's own `detail` for codes this client does not know. */
export function errorText(code: string, detail: string, context: ErrorContext): string {
  if (code === 'too_many_mentions' && context.mentionsMax === undefined) return t('error.too_many_mentions_unknown');
  const max = code === 'too_many_mentions' ? context.mentionsMax : context.messageMaxLength;
  return KNOWN_CODES.has(code) ? t(`error.${code}` as MessageKey, { max: max ?? '' }) : detail || code;
}

/** The same for anything an edit or a delete may throw. */
export function describeError(err: unknown, context: ErrorContext): string {
  if (err instanceof ApiError) return errorText(err.code, err.message, context);
  return err instanceof Error ? err.message : String(err);
}
