import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { ROLES, type ApiToken, type ApiTokenList, type CreatedApiToken, type NewApiToken, type Role } from '@importer/contracts';
import { api, ApiError } from '../api';
import { Alert } from '../components/Alert';
import { ConfirmButton } from '../components/ConfirmButton';
import { CopyButton } from '../components/CopyButton';
import { formatAge, formatDateTime } from '../format';
import { useNow } from '../hooks';
import { can, useSession } from '../session';

function RevokeButton({ token, onRevoked }: { token: ApiToken; onRevoked: () => void }) {
  const revoke = async () => {
    await api.delete(`/tokens/${token.id}`);
    onRevoked();
  };
  return (
    <ConfirmButton small label={`Revoke ${token.name}`} confirm={`Yes, revoke ${token.name}`} onConfirm={revoke}>
      Revoke
    </ConfirmButton>
  );
}

export function TokensPage() {
  const { principal } = useSession();
  const now = useNow();
  const [tokens, setTokens] = useState<ApiToken[] | null>(null);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('operator');
  const [created, setCreated] = useState<(ApiToken & { token: string }) | null>(null);
  const [error, setError] = useState<string | null>(null);
  const secret = useRef<HTMLInputElement>(null);

  const load = useCallback(async () => {
    try {
      setTokens((await api.get<ApiTokenList>('/tokens')).items);
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
    }
  }, []);
  useEffect(() => {
    // eslint-disable-next-line react-hooks/set-state-in-effect -- load() sets state only after its await (facebook/react#34905)
    if (can.administer(principal?.role)) void load();
  }, [load, principal]);

  if (!can.administer(principal?.role)) {
    return (
      <>
        <h1>API tokens</h1>
        <Alert kind="info">Only admins manage API tokens.</Alert>
      </>
    );
  }

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    try {
      const token = await api.post<CreatedApiToken>('/tokens', { name, role } satisfies NewApiToken);
      setCreated(token);
      setName('');
      await load();
      secret.current?.select();
    } catch (failure) {
      setError(failure instanceof ApiError ? failure.message : String(failure));
    }
  };

  return (
    <>
      <div className="page-head">
        <h1>API tokens</h1>
      </div>
      <p className="lead">
        Integrations call the API with a token: <code>Authorization: Bearer imp_…</code>. A token is shown once, when it is created.
      </p>
      <form className="panel form form-inline" onSubmit={(event) => void create(event)}>
        <h2>New token</h2>
        {error && <Alert title="The token was not created">{error}</Alert>}
        <div className="inline-fields">
          <label className="field">
            <span className="field-label">Name</span>
            <input
              type="text"
              value={name}
              required
              maxLength={100}
              placeholder="e.g. nightly-sync"
              onChange={(event) => setName(event.target.value)}
            />
          </label>
          <label className="field">
            <span className="field-label">Role</span>
            <select value={role} onChange={(event) => setRole(event.target.value as Role)}>
              {ROLES.map((value) => (
                <option key={value} value={value}>
                  {value}
                </option>
              ))}
            </select>
          </label>
          <button type="submit" className="button button-primary" disabled={!name.trim()}>
            Create token
          </button>
        </div>
        {created && (
          <div className="secret" role="status">
            <label className="field">
              <span className="field-label">
                Token for {created.name} ({created.role}) — copy it now, it will not be shown again
              </span>
              <input ref={secret} type="text" readOnly value={created.token} className="mono" onFocus={(event) => event.target.select()} />
            </label>
            <CopyButton key={created.id} value={created.token} fallback={secret} />
          </div>
        )}
      </form>
      <section className="panel" aria-labelledby="tokens-heading">
        <h2 id="tokens-heading">Tokens</h2>
        {tokens && tokens.length === 0 && <p className="empty">No API token yet.</p>}
        {tokens && tokens.length > 0 && (
          <div className="table-wrap">
            <table className="table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Created</th>
                  <th scope="col">Last used</th>
                  <th scope="col">State</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {tokens.map((token) => (
                  <tr key={token.id} className={token.revokedAt ? 'row-muted' : undefined}>
                    <td>{token.name}</td>
                    <td>
                      <span className={`role role-${token.role}`}>{token.role}</span>
                    </td>
                    <td>
                      <time dateTime={token.createdAt} title={formatDateTime(token.createdAt)}>
                        {formatAge(token.createdAt, now)}
                      </time>
                    </td>
                    <td>{token.lastUsedAt ? formatAge(token.lastUsedAt, now) : 'never'}</td>
                    <td>{token.revokedAt ? `revoked ${formatAge(token.revokedAt, now)}` : 'active'}</td>
                    <td className="actions-cell">{!token.revokedAt && <RevokeButton token={token} onRevoked={() => void load()} />}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
