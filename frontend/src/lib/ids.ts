/**
 * A fresh UUID v4 for a message's `client_id`. `crypto.randomUUID` exists only in secure
 * contexts, and the app is also opened over plain http on a LAN address, where
 * `crypto.getRandomValues` still works.
 */
export function newClientId(cryptoImpl: Pick<Crypto, 'getRandomValues'> & Partial<Pick<Crypto, 'randomUUID'>> = crypto): string {
  if (typeof cryptoImpl.randomUUID === 'function') return cryptoImpl.randomUUID();
  const bytes = cryptoImpl.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const connectionIds = new Map<string, string>();

/**
 * The HTTP fallback's connection id for this tab and room: random, the same for as long as the
 * tab lives, so the server counts the tab's polls as one connection however often it re-enters.
 */
export function tabConnectionId(slug: string): string {
  let id = connectionIds.get(slug);
  if (id === undefined) {
    id = newClientId();
    connectionIds.set(slug, id);
  }
  return id;
}
