import type { ComponentChildren } from 'preact';

/** A column heading: plain text, `{ num }` for a right-aligned number column, `{ hidden }` for screen readers only. */
export type Column = string | { num: string } | { hidden: string };

export function TableHead(props: { columns: Column[] }) {
  return (
    <thead>
      <tr>
        {props.columns.map((column, index) =>
          typeof column === 'string' ? (
            <th key={index} scope="col">
              {column}
            </th>
          ) : 'num' in column ? (
            <th key={index} scope="col" class="num">
              {column.num}
            </th>
          ) : (
            <th key={index} scope="col">
              <span class="sr-only">{column.hidden}</span>
            </th>
          ),
        )}
      </tr>
    </thead>
  );
}

/** The link-styled button that opens and closes a row's detail row. */
export function RowToggle(props: { open: boolean; onToggle: () => void; children: ComponentChildren }) {
  return (
    <button type="button" class="link" aria-expanded={props.open} onClick={props.onToggle}>
      {props.children}
    </button>
  );
}

/** The full-width row under an opened row. */
export function DetailRow(props: { colSpan: number; children: ComponentChildren }) {
  return (
    <tr class="detail">
      <td colSpan={props.colSpan}>{props.children}</td>
    </tr>
  );
}
