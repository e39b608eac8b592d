import type { ExplainNode } from '../api-types';
import { formatAgo, formatTime, formatValue } from '../format';

/**
 * Why a person is (not) in an audience: the rule tree, every condition with what was read and
 * whether it holds (all children are evaluated, so the whole tree shows values).
 */
export function ExplainTree(props: { node: ExplainNode }) {
  return (
    <ul class="tree" role="tree">
      <Node node={props.node} />
    </ul>
  );
}

function Node(props: { node: ExplainNode }) {
  const { node } = props;
  const children = 'children' in node ? node.children : [];
  return (
    <li role="treeitem" aria-expanded={children.length > 0 ? true : undefined}>
      <div class={`tree-row ${node.holds ? 'holds' : 'fails'}`}>
        <span class="verdict" aria-label={node.holds ? 'holds' : 'does not hold'}>
          {node.holds ? '✓' : '✗'}
        </span>
        <span class="tree-label">{node.label}</span>
        <span class="tree-detail">{detail(node)}</span>
      </div>
      {children.length > 0 && (
        <ul role="group">
          {children.map((child, index) => (
            <Node key={index} node={child} />
          ))}
        </ul>
      )}
    </li>
  );
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
      return `value ${formatValue(node.value)}`;
    case 'performed': {
      const last = node.timestamps[node.timestamps.length - 1];
      return [
        `count ${node.capped ? '≥ ' : ''}${node.count} since ${formatTime(node.windowStart)}`,
        last ? `last ${formatTime(last)}` : '',
        flips(node.flipsAt),
      ]
        .filter(Boolean)
        .join(' · ');
    }
    case 'date':
      return [
        `value ${formatValue(node.value)}`,
        node.from && node.until ? `holds ${formatTime(node.from)} – ${formatTime(node.until)}` : '',
        flips(node.flipsAt),
      ]
        .filter(Boolean)
        .join(' · ');
    case 'near':
      return [
        `at ${formatValue(node.value.lat)}, ${formatValue(node.value.lon)}`,
        node.distanceKm === undefined ? 'no valid point' : `${node.distanceKm} km away`,
      ].join(' · ');
    default:
      return assertNever(node);
  }
}

function flips(at: string | undefined): string {
  return at ? `flips ${formatTime(at)} (${formatAgo(at)})` : '';
}

function assertNever(value: never): never {
  throw new Error(`unexpected explain node ${JSON.stringify(value)}`);
}
