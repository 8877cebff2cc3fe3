import type { ReactNode } from 'react';
import { Link, useLocation } from '../router';
import { can, useSession } from '../session';

function NavLink({ to, children, exact = false }: { to: string; children: ReactNode; exact?: boolean }) {
  const { path } = useLocation();
  const current = exact ? path === to : path === to || (path.startsWith(`${to}/`) && !path.startsWith('/admin/imports/new'));
  return (
    <Link to={to} className="nav-link" aria-current={current ? 'page' : undefined}>
      {children}
    </Link>
  );
}

export function Layout({ children }: { children: ReactNode }) {
  const { principal, logOut } = useSession();
  const role = principal?.role;
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/admin" className="brand" aria-label="Importer: imports">
            <span className="brand-mark" aria-hidden="true" />
            Importer
          </Link>
          <nav aria-label="Main">
            <NavLink to="/admin/imports">Imports</NavLink>
            {can.operate(role) && (
              <NavLink to="/admin/imports/new" exact>
                New import
              </NavLink>
            )}
            <NavLink to="/admin/mappings">Column mappings</NavLink>
            {can.administer(role) && <NavLink to="/admin/tokens">API tokens</NavLink>}
            {can.administer(role) && <NavLink to="/admin/webhooks">Webhooks</NavLink>}
            <a className="nav-link" href="/admin/queues">
              Queues (Bull Board)
            </a>
            <a className="nav-link" href="/api/docs">
              API docs
            </a>
          </nav>
          <div className="account">
            <span className="account-name" title={principal?.name}>
              {principal?.name}
            </span>
            <span className={`role role-${role}`}>{role}</span>
            <button type="button" className="button button-quiet" onClick={() => void logOut()}>
              Log out
            </button>
          </div>
        </div>
      </header>
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
