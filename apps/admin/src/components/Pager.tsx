/** Previous/next buttons over keyset pages (the API gives only a next cursor: the UI keeps the trail). */
export function Pager({
  page,
  hasPrevious,
  hasNext,
  onPrevious,
  onNext,
  label,
}: {
  page: number;
  hasPrevious: boolean;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
  label: string;
}) {
  if (!hasPrevious && !hasNext) return null;
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" className="button" onClick={onPrevious} disabled={!hasPrevious}>
        ← Previous
      </button>
      <span className="pager-page">Page {page}</span>
      <button type="button" className="button" onClick={onNext} disabled={!hasNext}>
        Next →
      </button>
    </nav>
  );
}
