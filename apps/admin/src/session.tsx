import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import type { LogInBody, Principal, Role, SessionInfo } from '@importer/contracts';
import { api, ApiError, onSessionLost, setCsrfToken } from './api';
import { navigate } from './router';

interface SessionState {
  /** undefined while the first check runs; null when nobody is logged in. */
  principal: Principal | null | undefined;
  logIn: (email: string, password: string) => Promise<void>;
  logOut: () => Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

export const loginPath = (next = window.location.pathname + window.location.search) => `/admin/login?next=${encodeURIComponent(next)}`;

export function SessionProvider({ children }: { children: ReactNode }) {
  const [principal, setPrincipal] = useState<Principal | null | undefined>(undefined);

  useEffect(() => {
    onSessionLost(() => {
      setCsrfToken(null);
      setPrincipal(null);
      if (!window.location.pathname.startsWith('/admin/login')) navigate(loginPath(), { replace: true });
    });
    api.get<SessionInfo>('/session').then(
      (session) => {
        setCsrfToken(session.csrfToken);
        setPrincipal(session.principal);
      },
      (error: unknown) => {
        if (!(error instanceof ApiError) || error.status !== 401) console.error(error);
        setPrincipal(null);
      },
    );
  }, []);

  const logIn = useCallback(async (email: string, password: string) => {
    const session = await api.post<SessionInfo>('/session', { email, password } satisfies LogInBody);
    setCsrfToken(session.csrfToken);
    setPrincipal(session.principal);
  }, []);

  const logOut = useCallback(async () => {
    await api.delete('/session').catch(() => undefined);
    setCsrfToken(null);
    setPrincipal(null);
    navigate('/admin/login', { replace: true });
  }, []);

  return <SessionContext.Provider value={{ principal, logIn, logOut }}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionState {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside SessionProvider');
  return session;
}

/** What a role may do (docs/api.md): operators and admins upload, retry and cancel; admins manage tokens. */
export const can = {
  operate: (role: Role | undefined) => role === 'admin' || role === 'operator',
  administer: (role: Role | undefined) => role === 'admin',
};
