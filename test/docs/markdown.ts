import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/relay-process.js';

/** A fenced code block of a Markdown file. */
export interface CodeBlock {
  /** Repository-relative path of the Markdown file. */
  file: string;
  /** Line of the opening fence (1-based); the block's first line is `line + 1`. */
  line: number;
  /** The fence's info string, e.g. `yaml` (empty when none). */
  lang: string;
  /** The block's text, indentation of the fence removed, ending with a newline. */
  text: string;
  /** The HTML comment on the last non-blank line before the fence, e.g. `fragment: ...`, if any. */
  marker?: string;
  /** The `## ` heading the block is under ('' before the first). */
  section: string;
}

/** Every fenced block (``` or ~~~) of a Markdown file, given by its repository-relative path. */
export function codeBlocks(file: string): CodeBlock[] {
  const lines = readFileSync(join(REPO_ROOT, file), 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  let section = '';
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const heading = /^##\s+(.*)$/.exec(line);
    if (heading) section = heading[1]?.trim() ?? '';
    const open = /^(\s{0,3})(`{3,}|~{3,})\s*([^\s`]*)/.exec(line);
    if (!open) continue;
    const [, indent = '', fence = '', lang = ''] = open;
    const body: string[] = [];
    let end = index + 1;
    for (; end < lines.length; end++) {
      const current = lines[end] ?? '';
      const trimmed = current.trim();
      if (trimmed.startsWith(fence) && trimmed.replaceAll(fence[0] ?? '`', '') === '') break;
      body.push(current.startsWith(indent) ? current.slice(indent.length) : current.trimStart());
    }
    blocks.push({
      file,
      line: index + 1,
      lang: lang.toLowerCase(),
      text: body.map((text) => `${text}\n`).join(''),
      marker: markerBefore(lines, index),
      section,
    });
    index = end;
  }
  return blocks;
}

function markerBefore(lines: string[], fenceIndex: number): string | undefined {
  for (let index = fenceIndex - 1; index >= 0; index--) {
    const line = (lines[index] ?? '').trim();
    if (line === '') continue;
    return /^<!--\s*(.*?)\s*-->$/.exec(line)?.[1];
  }
  return undefined;
}

/** README.md, docs/*.md and src/destinations/<type>/README.md, repository-relative, sorted. */
export function documentationFiles(): string[] {
  const docs = readdirSync(join(REPO_ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  const destinations = readdirSync(join(REPO_ROOT, 'src/destinations'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => `src/destinations/${entry.name}/README.md`)
    .filter((file) => readdirSync(join(REPO_ROOT, file, '..')).includes('README.md'));
  return ['README.md', ...docs.sort(), ...destinations.sort()];
}
