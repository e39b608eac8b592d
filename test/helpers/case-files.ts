import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * One test per JSON case file in `dir` (named by the file and the case's own sentence), plus a test
 * that the folder is not empty, so a moved folder cannot pass silently.
 */
export function describeCaseFiles<C extends { name: string }>(
  title: string,
  dir: string,
  parse: (json: unknown) => C,
  run: (testCase: C) => void | Promise<void>,
): void {
  describe(title, () => {
    const files = readdirSync(dir).filter((file) => file.endsWith('.json'));
    it('has case files', () => {
      expect(files.length).toBeGreaterThan(0);
    });
    for (const file of files) {
      const testCase = parse(JSON.parse(readFileSync(join(dir, file), 'utf8')));
      it(`${file}: ${testCase.name}`, () => run(testCase));
    }
  });
}
