import { linkify } from '@/utils/linkify';

/** Plain text with http(s) links; React escapes the text, so no markup can get through. */
export function MessageBody({ text }: { text: string }) {
  return (
    <span className="message__body">
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
