import { useState, type RefObject } from 'react';

/**
 * Copies `value` to the clipboard and says so; where the clipboard is refused (an insecure origin, a denied
 * permission), selects the text of `fallback` so that the user can copy it by hand.
 */
export function CopyButton({
  value,
  label = 'Copy',
  fallback,
}: {
  value: string;
  label?: string;
  fallback?: RefObject<HTMLInputElement | null>;
}) {
  const [state, setState] = useState<'idle' | 'copied' | 'refused'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      fallback?.current?.select();
      setState('refused');
    }
  };
  return (
    <>
      <button type="button" className="button" onClick={() => void copy()}>
        {state === 'copied' ? 'Copied' : label}
      </button>
      {state === 'refused' && <span className="field-help">The browser refused the clipboard: the text is selected, copy it by hand.</span>}
    </>
  );
}
