import type { ExplainNode, Explanation } from './api-types.js';
import { formatTime, formatValue } from './output.js';

/**
 * An explanation as an indented tree: ✓/✗ per node, its label, and what was read (a trait's value,
 * the count of matching events, a distance), the details aligned in one column.
 */
export function renderExplanation(explanation: Explanation): string[] {
  const lines = [`profile ${explanation.profileId}`];
  for (const entry of explanation.audiences) {
    lines.push('');
    if (!entry.explain) {
      lines.push(`${entry.audience}: no such audience in the configuration`);
      continue;
    }
    const verdict = entry.member ? 'member' : 'not a member';
    const drift =
      entry.member === entry.explain.holds ? '' : ` (evaluated now: ${entry.explain.holds ? 'in' : 'out'})`;
    lines.push(`${entry.audience}: ${verdict}${drift}`);
    lines.push(...align(nodeRows(entry.explain, 1)));
  }
  return lines;
}

interface Row {
  tree: string;
  detail: string;
}

function nodeRows(node: ExplainNode, depth: number): Row[] {
  const rows: Row[] = [
    { tree: `${'  '.repeat(depth)}${node.holds ? '✓' : '✗'} ${node.label}`, detail: detail(node) },
  ];
  if ('children' in node) for (const child of node.children) rows.push(...nodeRows(child, depth + 1));
  return rows;
}

function detail(node: ExplainNode): string {
  switch (node.kind) {
    case 'all':
    case 'any':
    case 'not':
      return '';
    case 'audience':
      return node.description ?? '';
    case 'trait':
      return `value ${formatValue(node.value, 60)}`;
    case 'performed': {
      const count = `count ${node.capped ? '≥' : ''}${node.count}`;
      const last = node.timestamps[node.timestamps.length - 1];
      return [count, last ? `last ${formatTime(last)}` : '', flips(node.flipsAt)].filter(Boolean).join(', ');
    }
    case 'date': {
      const window =
        node.from && node.until ? `holds ${formatTime(node.from)} .. ${formatTime(node.until)}` : '';
      return [`value ${formatValue(node.value, 40)}`, window, flips(node.flipsAt)].filter(Boolean).join(', ');
    }
    case 'near': {
      const point = `at ${formatValue(node.value.lat)}, ${formatValue(node.value.lon)}`;
      return node.distanceKm === undefined
        ? `${point} (no valid point)`
        : `${point}, ${node.distanceKm} km away`;
    }
  }
}

function flips(at: string | undefined): string {
  return at ? `flips ${formatTime(at)}` : '';
}

/** Details in one column after the widest tree text (capped so one long label does not push all). */
function align(rows: Row[]): string[] {
  const width = Math.min(72, Math.max(...rows.map((row) => row.tree.length)));
  return rows.map((row) => (row.detail ? `${row.tree.padEnd(width)}  ${row.detail}` : row.tree));
}
