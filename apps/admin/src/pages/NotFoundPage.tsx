import { Link } from '../router';

export function NotFoundPage() {
  return (
    <>
      <h1>Page not found</h1>
      <p>
        This page does not exist. <Link to="/admin/imports">Go to the imports</Link>.
      </p>
    </>
  );
}
