import {
  CST,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node,
  type YAMLError,
} from 'yaml';
import { shieldReferences, substituteEnv, unshield } from './env-substitution.js';
import { formatCount, MAX_ALIAS_EXPANSION, MAX_ALIASES, MAX_NESTING, MAX_TOKENS } from './limits.js';

/**
 * One mapping file's YAML, read defensively: a lexical pre-check bounds the work (tokens) and the
 * nesting before the parser sees the text, and the parsed document is turned into plain values by
 * a walk that counts aliases and what they expand to, refuses `__proto__` keys, duplicate keys and
 * cycles, and substitutes `${NAME}`. Every problem is a value with its offset; nothing throws.
 */

export interface YamlProblem {
  /** String offset in the file's text. */
  offset: number;
  /** Dotted path of the value concerned ('' for the file or its syntax). */
  path: string;
  message: string;
  /** A missing environment variable (reported beside schema errors) rather than a broken file. */
  env?: boolean;
}

/** Tokens the files read so far have used; shared by every file of one load. */
export interface TokenBudget {
  used: number;
}

export interface ParsedYaml {
  doc?: Document;
  lineCounter: LineCounter;
  /** The file as plain values (undefined when structural problems were found). */
  value?: unknown;
  problems: YamlProblem[];
}

export function parseYaml(
  source: string,
  env: Record<string, string | undefined>,
  budget: TokenBudget = { used: 0 },
): ParsedYaml {
  const lineCounter = new LineCounter();
  const text = shieldReferences(source);
  const shielded = text !== source;
  const pre = precheck(text, budget);
  if (pre) {
    // The parser is not run, so lines are counted here for the position.
    lineCounter.addNewLine(0);
    for (let at = text.indexOf('\n'); at !== -1 && at < pre.offset; at = text.indexOf('\n', at + 1))
      lineCounter.addNewLine(at + 1);
    return { lineCounter, problems: [pre] };
  }
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    schema: 'core',
    merge: false,
    stringKeys: true,
    // Duplicate keys are found by the walk below, in linear time (the parser's check is quadratic).
    uniqueKeys: false,
  });
  const describe = (error: YAMLError) =>
    yamlMessage(error, shielded ? unshield(error.message) : error.message);
  const [first, ...more] = doc.errors;
  if (first) {
    // One line, not a cascade: what follows a syntax error is mostly its echo.
    const hint = unfinishedReference(source, first.pos[0]);
    const after =
      more.length > 0 ? ` (and ${more.length} more YAML error(s) after it, probably caused by it)` : '';
    return {
      doc,
      lineCounter,
      problems: [{ offset: first.pos[0], path: '', message: `${describe(first)}${hint}${after}` }],
    };
  }
  const warnings = doc.warnings.map((warning) => ({
    offset: warning.pos[0],
    path: '',
    message: describe(warning),
  }));
  if (warnings.length > 0) return { doc, lineCounter, problems: warnings };
  if (shielded) {
    visit(doc, {
      Scalar(_key, node) {
        if (typeof node.value === 'string') node.value = unshield(node.value);
      },
    });
  }
  const walked = new Walk(env).run(doc);
  return walked.structural
    ? { doc, lineCounter, problems: walked.problems }
    : { doc, lineCounter, value: walked.value, problems: walked.problems };
}

/** The parser's message, in the words of the rest of the errors where the parser's are obscure. */
function yamlMessage(error: YAMLError, message: string): string {
  if (error.code === 'MULTIPLE_DOCS')
    return 'holds more than one YAML document (a second ---): put each in a file of its own';
  if (error.code === 'TAG_RESOLVE_FAILED') {
    const tag = /tag:yaml\.org,2002:(\S+)/.exec(message)?.[1];
    const written = tag ? `!!${tag}` : (/: (\S+)$/.exec(message)?.[1] ?? 'this tag');
    return `${written} is not supported: mapping files hold plain values (text, numbers, true/false, lists and maps)`;
  }
  const line = message.split('\n')[0] ?? message;
  return /^[A-Z]/.test(line) ? `${line.charAt(0).toLowerCase()}${line.slice(1)}` : line;
}

/** A hint when the line of a syntax error holds a `${` that is not closed on that line. */
function unfinishedReference(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', Math.max(0, offset - 1)) + 1;
  const end = text.indexOf('\n', offset);
  const line = text.slice(start, end === -1 ? undefined : end);
  const opened = line.split('${').length - 1;
  const complete = line.match(/\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}/g)?.length ?? 0;
  return opened > complete
    ? ': a ${NAME} or ${NAME:-fallback} reference is not finished on this line (close it with })'
    : '';
}

/**
 * Counts tokens (stopping at the budget) and estimates the nesting from the lexer's output: open
 * flow brackets, the stack of indentations, and compact `- - x` / `? ? x` indicators on a line. The
 * estimate errs high for odd layouts, but far below what a real file comes near.
 */
const CONTROL_TOKENS = new Set([CST.DOCUMENT, CST.SCALAR, CST.FLOW_END]);

function precheck(text: string, budget: TokenBudget): YamlProblem | undefined {
  let offset = 0;
  let flow = 0;
  let lineIndicators = 0;
  let lineStart = true;
  let indent = 0;
  let skipContent = false;
  const indents: number[] = [];
  for (const token of new Lexer().lex(text)) {
    const at = offset;
    // The lexer's control tokens (document start, scalar start, flow end) are not in the text.
    if (!CONTROL_TOKENS.has(token)) offset += token.length;
    budget.used++;
    if (budget.used > MAX_TOKENS)
      return {
        offset: at,
        path: '',
        message: `the mapping files hold more than ${formatCount(MAX_TOKENS)} YAML tokens (keys, values, indicators) together: over the limit`,
      };
    if (skipContent) {
      // A block scalar's text runs to the end of its last line.
      skipContent = false;
      if (token.endsWith('\n')) {
        lineStart = true;
        indent = 0;
        lineIndicators = 0;
      }
      continue;
    }
    const type = CST.tokenType(token);
    if (type === 'newline') {
      lineStart = true;
      indent = 0;
      lineIndicators = 0;
      continue;
    }
    if (lineStart) {
      if (type === 'space') {
        indent = token.length;
        continue;
      }
      if (type === 'comment' || type === 'byte-order-mark' || type === 'doc-mode') continue;
      lineStart = false;
      if (flow === 0) {
        while (indents.length > 0 && (indents.at(-1) ?? 0) > indent) indents.pop();
        if (indent > (indents.at(-1) ?? -1)) indents.push(indent);
      }
    }
    // The lexer announces a plain or block scalar, then gives its text as the next token.
    if (type === 'scalar') skipContent = true;
    else if (type === 'flow-map-start' || type === 'flow-seq-start') flow++;
    else if (type === 'flow-map-end' || type === 'flow-seq-end') flow = Math.max(0, flow - 1);
    else if (flow === 0 && (type === 'seq-item-ind' || type === 'explicit-key-ind')) lineIndicators++;
    if (indents.length + lineIndicators + flow > MAX_NESTING)
      return {
        offset: at,
        path: '',
        message: `maps and lists nest more than ${MAX_NESTING} levels deep here: over the limit`,
      };
  }
  return undefined;
}

interface Converted {
  value: unknown;
  /** Values this node stands for once every alias in it is expanded. */
  size: number;
  /** Collections nested in it, itself included (0 for a scalar). */
  height: number;
}

const NOTHING: Converted = { value: null, size: 1, height: 0 };

/** Document -> plain values, checking aliases, keys and nesting on the way. */
class Walk {
  readonly problems: YamlProblem[] = [];
  structural = false;
  private readonly anchors = new Map<string, Node>();
  private readonly converted = new Map<Node, Converted>();
  private readonly inProgress = new Set<Node>();
  private aliases = 0;
  private expansion = 0;
  private aliasLimitHit = false;
  private nestingLimitHit = false;

  constructor(private readonly env: Record<string, string | undefined>) {}

  run(doc: Document): { value: unknown; problems: YamlProblem[]; structural: boolean } {
    const root = doc.contents;
    const value = root ? this.node(root as Node, [], 1).value : null;
    return { value, problems: this.problems, structural: this.structural };
  }

  private problem(node: Node | null | undefined, path: (string | number)[], message: string): void {
    this.structural = true;
    this.problems.push({ offset: node?.range?.[0] ?? 0, path: path.join('.'), message });
  }

  private node(node: Node, path: (string | number)[], depth: number): Converted {
    if (isAlias(node)) return this.alias(node, path, depth);
    const anchor = node.anchor;
    if (anchor) {
      this.anchors.set(anchor, node);
      this.inProgress.add(node);
    }
    const result = this.build(node, path, depth);
    if (anchor) {
      this.inProgress.delete(node);
      this.converted.set(node, result);
    }
    return result;
  }

  private build(node: Node, path: (string | number)[], depth: number): Converted {
    if (isScalar(node)) return { value: this.scalar(node.value, node, path), size: 1, height: 0 };
    if (!isMap(node) && !isSeq(node)) {
      this.problem(node, path, 'is not a YAML value this file can hold');
      return NOTHING;
    }
    if (depth > MAX_NESTING) {
      if (!this.nestingLimitHit)
        this.problem(node, path, `maps and lists nest more than ${MAX_NESTING} levels deep: over the limit`);
      this.nestingLimitHit = true;
      return NOTHING;
    }
    return isMap(node) ? this.map(node.items, path, depth) : this.seq(node.items, path, depth);
  }

  private map(items: readonly unknown[], path: (string | number)[], depth: number): Converted {
    const value: Record<string, unknown> = {};
    const seen = new Map<string, Node>();
    let size = 1;
    let height = 1;
    for (const pair of items) {
      if (!isPair(pair)) continue;
      const keyNode = pair.key as Node | null;
      if (!isScalar(keyNode)) {
        this.problem(keyNode, path, 'a key must be plain text');
        continue;
      }
      const key = String(this.node(keyNode, path, depth).value);
      if (key === '__proto__') {
        this.problem(keyNode, [...path, key], '"__proto__" cannot be used as a key');
        continue;
      }
      if (seen.has(key)) {
        this.problem(keyNode, [...path, key], `duplicate key "${key}" in the same map`);
        continue;
      }
      seen.set(key, keyNode);
      const child = pair.value ? this.node(pair.value as Node, [...path, key], depth + 1) : NOTHING;
      value[key] = child.value;
      size += child.size;
      height = Math.max(height, child.height + 1);
    }
    return { value, size, height };
  }

  private seq(items: readonly unknown[], path: (string | number)[], depth: number): Converted {
    const value: unknown[] = [];
    let size = 1;
    let height = 1;
    items.forEach((item, index) => {
      // `[a: 1]` holds a one-pair map.
      const child = isPair(item)
        ? this.map([item], [...path, index], depth + 1)
        : item
          ? this.node(item as Node, [...path, index], depth + 1)
          : NOTHING;
      value.push(child.value);
      size += child.size;
      height = Math.max(height, child.height + 1);
    });
    return { value, size, height };
  }

  private alias(node: Node & { source: string }, path: (string | number)[], depth: number): Converted {
    if (this.aliasLimitHit) return NOTHING;
    this.aliases++;
    if (this.aliases > MAX_ALIASES) {
      this.aliasLimitHit = true;
      this.problem(node, path, `more than ${formatCount(MAX_ALIASES)} aliases in one file: over the limit`);
      return NOTHING;
    }
    const target = this.anchors.get(node.source);
    if (!target) {
      this.problem(node, path, `alias *${node.source} has no anchor &${node.source} before it`);
      return NOTHING;
    }
    if (this.inProgress.has(target)) {
      this.problem(node, path, `alias *${node.source} is inside the value it names (a cycle)`);
      return NOTHING;
    }
    const converted = this.converted.get(target) ?? NOTHING;
    this.expansion += converted.size;
    if (this.expansion > MAX_ALIAS_EXPANSION) {
      this.aliasLimitHit = true;
      this.problem(
        node,
        path,
        `aliases expand this file by more than ${formatCount(MAX_ALIAS_EXPANSION)} values: over the limit (an anchor may be reused, not multiplied)`,
      );
      return NOTHING;
    }
    if (depth - 1 + converted.height > MAX_NESTING) {
      if (!this.nestingLimitHit)
        this.problem(
          node,
          path,
          `alias *${node.source} nests maps and lists more than ${MAX_NESTING} levels deep: over the limit`,
        );
      this.nestingLimitHit = true;
      return NOTHING;
    }
    return converted;
  }

  private scalar(value: unknown, node: Node, path: (string | number)[]): unknown {
    if (typeof value !== 'string' || !value.includes('${')) return value;
    const result = substituteEnv(value, this.env);
    for (const variable of result.missing)
      this.problems.push({
        offset: node.range?.[0] ?? 0,
        path: path.join('.'),
        message: `environment variable ${variable} is not set`,
        env: true,
      });
    return result.value;
  }
}
