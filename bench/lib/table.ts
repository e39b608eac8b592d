export interface Column<Row> {
  title: string;
  value: (row: Row) => string;
  /** Numbers read best right-aligned. */
  align?: 'left' | 'right';
}

/** A plain-text table with a header rule, columns padded to their widest cell. */
export function renderTable<Row>(rows: Row[], columns: Column<Row>[]): string {
  const cells = rows.map((row) => columns.map((column) => column.value(row)));
  const widths = columns.map((column, i) =>
    Math.max(column.title.length, ...cells.map((line) => (line[i] ?? '').length)),
  );
  const pad = (text: string, i: number) => {
    const width = widths[i] ?? 0;
    return columns[i]?.align === 'left' ? text.padEnd(width) : text.padStart(width);
  };
  const header = columns.map((column, i) => pad(column.title, i)).join('  ');
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  const body = cells.map((line) => line.map((cell, i) => pad(cell, i)).join('  '));
  return [header, rule, ...body].join('\n');
}

/** 12345.6 -> "12,346"; undefined -> "-". */
export function formatNumber(value: number | undefined, digits = 0): string {
  if (value === undefined || Number.isNaN(value)) return '-';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
