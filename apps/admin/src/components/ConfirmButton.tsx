import { useState, type ReactNode } from 'react';
import { messageOf } from '../api';

/**
 * An action that asks first: the button turns into a question with "yes" (which takes the focus) and "no";
 * a failure of the action is shown in place.
 */
export function ConfirmButton({
  children,
  label,
  question,
  confirm,
  keep = 'Keep',
  onConfirm,
  small = false,
}: {
  /** The button's text. */
  children: ReactNode;
  /** Its accessible name, when the text alone does not say what it acts on. */
  label?: string;
  question?: ReactNode;
  /** The text of the button that acts. */
  confirm: string;
  keep?: string;
  onConfirm: () => Promise<void>;
  small?: boolean;
}) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const size = small ? ' button-small' : '';

  const act = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      setConfirming(false);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  };

  return (
    <span className="confirm">
      {!confirming ? (
        <button type="button" className={`button${size}`} aria-label={label} onClick={() => setConfirming(true)}>
          {children}
        </button>
      ) : (
        <span className="confirm" role="group" aria-label={label ? `Confirm: ${label}` : 'Confirm'}>
          {question && <span>{question}</span>}
          <button type="button" className={`button button-danger${size}`} disabled={busy} onClick={() => void act()} autoFocus>
            {confirm}
          </button>
          <button type="button" className={`button${size}`} onClick={() => setConfirming(false)}>
            {keep}
          </button>
        </span>
      )}
      {error && (
        <span className="text-bad" role="alert">
          {error}
        </span>
      )}
    </span>
  );
}
