/** One command of a shell snippet, split into words as a POSIX shell would (no expansion). */
export interface ShellCommand {
  words: string[];
  /** Line of its first word, counted from `firstLine` (the snippet's first line). */
  line: number;
  /** A whole-line comment directly under the command's last line (`# {"success":true}`), if any. */
  comment?: string;
}

/**
 * Splits a snippet into commands: quotes ('...' and "..."), backslash escapes and line
 * continuations, commands ended by a line break, `;` or `&&`, comments from a `#` that starts a
 * word. `$` expansion, pipes and redirections are refused (the snippets tested need none): a
 * refusal names the line.
 */
export function shellCommands(text: string, firstLine = 1): ShellCommand[] {
  const commands: ShellCommand[] = [];
  let words: string[] = [];
  let word: string | undefined;
  let line = firstLine;
  let start = firstLine;
  let lastEnd = -1; // line the last command ended on
  let index = 0;
  const endWord = () => {
    if (word !== undefined) words.push(word);
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    if (words.length > 0) {
      commands.push({ words, line: start });
      lastEnd = line;
    }
    words = [];
  };
  const refuse = (what: string): never => {
    throw new Error(`line ${line}: ${what} is not supported by the snippet runner`);
  };
  while (index < text.length) {
    const char = text[index] ?? '';
    const next = text[index + 1] ?? '';
    if (word === undefined && words.length === 0 && !/\s/.test(char)) start = line;
    if (char === '\n') {
      endCommand();
      line++;
      index++;
    } else if (char === ' ' || char === '\t') {
      endWord();
      index++;
    } else if (char === '\\') {
      if (next === '\n') line++;
      else word = (word ?? '') + next;
      index += 2;
    } else if (char === '#' && word === undefined) {
      const end = text.indexOf('\n', index);
      const comment = text.slice(index + 1, end === -1 ? text.length : end).trim();
      const previous = commands.at(-1);
      if (words.length === 0 && previous && lastEnd === line - 1 && previous.comment === undefined)
        previous.comment = comment;
      index = end === -1 ? text.length : end;
    } else if (char === "'") {
      const end = text.indexOf("'", index + 1);
      if (end === -1) refuse('an unterminated quote');
      const quoted = text.slice(index + 1, end);
      word = (word ?? '') + quoted;
      line += quoted.split('\n').length - 1;
      index = end + 1;
    } else if (char === '"') {
      word ??= '';
      index++;
      for (;;) {
        const inner = text[index];
        if (inner === undefined) refuse('an unterminated quote');
        if (inner === '"') break;
        if (inner === '$' || inner === '`') refuse('expansion inside double quotes');
        if (inner === '\\' && '"\\$`\n'.includes(text[index + 1] ?? '')) {
          if (text[index + 1] !== '\n') word += text[index + 1];
          else line++;
          index += 2;
          continue;
        }
        if (inner === '\n') line++;
        word += inner;
        index++;
      }
      index++;
    } else if (char === ';' || (char === '&' && next === '&')) {
      endCommand();
      index += char === ';' ? 1 : 2;
    } else if ('|<>&$`'.includes(char)) {
      refuse(`"${char}"`);
    } else {
      word = (word ?? '') + char;
      index++;
    }
  }
  endCommand();
  return commands;
}
