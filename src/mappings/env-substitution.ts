/** `${NAME}` takes a value from the environment; `${NAME:-fallback}` gives one when it is unset. */
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface Substitution {
  value: string;
  missing: string[];
}

export function substituteEnv(text: string, env: Record<string, string | undefined>): Substitution {
  const missing: string[] = [];
  const value = text.replace(REFERENCE, (_whole, name: string, fallback: string | undefined) => {
    const fromEnv = env[name];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    if (fallback !== undefined) return fallback;
    missing.push(name);
    return '';
  });
  return { value, missing };
}

/**
 * `{ endpoint: ${X} }` is not valid YAML as written: inside a flow mapping or list, `{`, `}`, `[`,
 * `]` and `,` are syntax. Before parsing, the characters of each `${...}` reference that YAML could
 * read as syntax (those, and `#` and `:`) are swapped for private-use characters, one for one, so
 * the reference parses as a plain value wherever a value can stand and every line and column stays
 * where it is in the file; `unshield` swaps them back in the parsed values, before substitution.
 */
const SHIELD: Readonly<Record<string, string>> = {
  '{': '\uE000',
  '}': '\uE001',
  '[': '\uE002',
  ']': '\uE003',
  ',': '\uE004',
  '#': '\uE005',
  ':': '\uE006',
};
const UNSHIELD: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(SHIELD).map(([plain, shielded]) => [shielded, plain]),
);
const SHIELDED = /[\uE000-\uE006]/g;
/** One reference on one line (a fallback may hold anything but `}` and line breaks). */
const REFERENCE_TOKEN = /\$\{[A-Za-z_][A-Za-z0-9_]*(?::-[^}\r\n]*)?\}/g;

export function shieldReferences(text: string): string {
  // A file that already holds these characters is left as written (they could not be told apart).
  if (!text.includes('${') || /[\uE000-\uE006]/.test(text)) return text;
  return text.replace(REFERENCE_TOKEN, (reference) =>
    reference.replace(/[{}[\],#:]/g, (char) => SHIELD[char] ?? char),
  );
}

export function unshield(text: string): string {
  return text.replace(SHIELDED, (char) => UNSHIELD[char] ?? char);
}

/** The text holds a shielded reference (or a character that looks like one). */
export function isShielded(text: string): boolean {
  return /[\uE000-\uE006]/.test(text);
}
