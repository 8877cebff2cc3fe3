import type { CursorTrail } from '../hooks';

/**
 * Previous/next buttons over keyset pages: the API gives only the next cursor (`nextCursor` of the page
 * shown), the UI keeps the trail of the ones behind (`useCursorTrail`).
 */
export function Pager({ label, trail, nextCursor }: { label: string; trail: CursorTrail; nextCursor: string | null | undefined }) {
  const hasPrevious = trail.page > 1;
  if (!hasPrevious && !nextCursor) return null;
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" className="button" onClick={trail.previous} disabled={!hasPrevious}>
        ← Previous
      </button>
      <span className="pager-page">Page {trail.page}</span>
      <button type="button" className="button" onClick={() => nextCursor && trail.next(nextCursor)} disabled={!nextCursor}>
        Next →
      </button>
    </nav>
  );
}
