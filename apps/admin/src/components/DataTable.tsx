import type { ReactNode } from 'react';

/** A scrollable table with a header row; a column whose name is empty is labelled for screen readers only. */
export function DataTable({
  columns,
  children,
  className,
  caption,
}: {
  columns: { name: string; numeric?: boolean }[];
  children: ReactNode;
  className?: string;
  caption?: string;
}) {
  return (
    <div className="table-wrap">
      <table className={`table${className ? ` ${className}` : ''}`}>
        {caption && <caption className="visually-hidden">{caption}</caption>}
        <thead>
          <tr>
            {columns.map((column, index) => (
              <th key={column.name || index} scope="col" className={column.numeric ? 'numeric' : undefined}>
                {column.name || <span className="visually-hidden">Actions</span>}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}
