import { z } from 'zod';

/** Short, field-first messages: the caller prefixes the field path ("batch[2].event: is required"). */
z.config({
  customError: (issue) => {
    if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && issue.input === undefined) {
      return 'is required';
    }
    if (issue.code === 'invalid_type') return `must be ${article(issue.expected)}`;
    return undefined;
  },
});

function article(expected: string): string {
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}
