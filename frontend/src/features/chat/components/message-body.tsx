import { linkify } from '@/utils/linkify';

/**
 * Plain text with http(s) links; React escapes the text, so no markup can get through.
 * `dir="auto"` isolates it and takes its direction from its own first strong letter, so
 * right-to-left text or an override in it cannot reorder what follows (the edited mark).
 */
export function MessageBody({ text }: { text: string }) {
  return (
    <span className="message__body" dir="auto">
      {linkify(text).map((seg, i) =>
        seg.kind === 'link' ? (
          <a key={i} href={seg.href} target="_blank" rel="noopener noreferrer">
            {seg.text}
          </a>
        ) : (
          <span key={i}>{seg.text}</span>
        ),
      )}
    </span>
  );
}
