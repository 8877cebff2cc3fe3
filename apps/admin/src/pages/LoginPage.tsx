import { useEffect, useState, type FormEvent } from 'react';
import { ApiError } from '../api';
import { Alert } from '../components/Alert';
import { navigate, useLocation } from '../router';
import { useSession } from '../session';

/** Only pages of this app, never another site (`next` comes from the address bar). */
function safeNext(next: string | null): string {
  return next && next.startsWith('/admin') && !next.startsWith('/admin/login') && !next.includes('//') ? next : '/admin';
}

export function LoginPage() {
  const { principal, logIn } = useSession();
  const { query } = useLocation();
  const next = safeNext(query.get('next'));
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    // Bull Board is served by the API, not by this app: leave the app to reach it.
    if (principal) {
      if (next.startsWith('/admin/queues')) window.location.assign(next);
      else navigate(next, { replace: true });
    }
  }, [principal, next]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await logIn(email, password);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
      setBusy(false);
    }
  };

  return (
    <main className="login" id="main">
      <form className="login-card" onSubmit={(event) => void submit(event)}>
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true" />
          Importer
        </div>
        <h1>Log in</h1>
        <p className="muted">Upload spreadsheets and follow their imports.</p>
        {error && <Alert title="Log-in failed">{error}</Alert>}
        <label className="field">
          <span className="field-label">E-mail</span>
          <input
            type="email"
            name="email"
            autoComplete="username"
            required
            autoFocus
            value={email}
            onChange={(event) => setEmail(event.target.value)}
          />
        </label>
        <label className="field">
          <span className="field-label">Password</span>
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
        </label>
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {busy ? 'Logging in…' : 'Log in'}
        </button>
      </form>
    </main>
  );
}
