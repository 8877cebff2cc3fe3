import { useEffect } from 'react';
import { Layout } from './components/Layout';
import { ImportPage } from './pages/ImportPage';
import { ImportsPage } from './pages/ImportsPage';
import { LoginPage } from './pages/LoginPage';
import { MappingsPage } from './pages/MappingsPage';
import { NewImportPage } from './pages/NewImportPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { TokensPage } from './pages/TokensPage';
import { WebhookPage } from './pages/WebhookPage';
import { WebhooksPage } from './pages/WebhooksPage';
import { navigate, useLocation } from './router';
import { loginPath, SessionProvider, useSession } from './session';

const IMPORT_PAGE = /^\/admin\/imports\/([0-9a-f-]{36})$/i;
const WEBHOOK_PAGE = /^\/admin\/webhooks\/([0-9a-f-]{36})$/i;

function Page({ path }: { path: string }) {
  if (path === '/admin' || path === '/admin/imports') return <ImportsPage />;
  if (path === '/admin/imports/new') return <NewImportPage />;
  const importId = IMPORT_PAGE.exec(path)?.[1];
  if (importId) return <ImportPage key={importId} id={importId} />;
  if (path === '/admin/tokens') return <TokensPage />;
  if (path === '/admin/mappings') return <MappingsPage />;
  if (path === '/admin/webhooks') return <WebhooksPage />;
  const webhookId = WEBHOOK_PAGE.exec(path)?.[1];
  if (webhookId) return <WebhookPage key={webhookId} id={webhookId} />;
  return <NotFoundPage />;
}

function Routes() {
  const { path } = useLocation();
  const { principal } = useSession();
  const loginPage = path === '/admin/login';

  useEffect(() => {
    if (principal === null && !loginPage) navigate(loginPath(), { replace: true });
  }, [principal, loginPage]);

  useEffect(() => {
    const titles: Record<string, string> = {
      '/admin/login': 'Log in',
      '/admin/imports/new': 'New import',
      '/admin/tokens': 'API tokens',
      '/admin/mappings': 'Column mappings',
      '/admin/webhooks': 'Webhooks',
    };
    document.title = `${titles[path] ?? 'Imports'} · Importer`;
  }, [path]);

  if (loginPage) return <LoginPage />;
  if (!principal) {
    return (
      <div className="boot" role="status">
        Loading…
      </div>
    );
  }
  return (
    <Layout>
      <Page path={path} />
    </Layout>
  );
}

export function App() {
  return (
    <SessionProvider>
      <Routes />
    </SessionProvider>
  );
}
