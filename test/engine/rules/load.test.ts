import { describe, expect, it } from 'vitest';
import { audienceIssues, dependencyOrder } from '../../../src/mappings/audience-references.js';
import { formatConfigError, loadMappings } from '../../../src/mappings/load.js';
import { AudienceDefinition } from '../../../src/mappings/audiences-schema.js';
import { compileAudiences } from '../../../src/engine/rules/index.js';
import { DESTINATIONS } from '../../../src/destinations/registry.js';

const fixtures = new URL('./fixtures/', import.meta.url).pathname;

function errorLines(dir: string): string[] {
  const result = loadMappings(`${fixtures}${dir}`, {});
  return result.ok ? [] : result.errors.map((error) => formatConfigError(error).replace(fixtures, ''));
}

describe('audience mappings', () => {
  it('refuses cycles, unknown audiences, missing value traits and duplicate names, each with file:line:column and path', () => {
    expect(errorLines('references')).toEqual([
      'references/b-more.yaml:5:5: audiences.valued: audience "valued" is already defined in ' +
        `${fixtures}references/a-audiences.yaml`,
      'references/a-audiences.yaml:17:23: audiences.typo.rule.audience: unknown audience "hig_intent"',
      'references/a-audiences.yaml:20:27: audiences.valued.value.probability: trait "p_convert" is not defined ' +
        'under traits (value.probability must name a computed trait)',
      'references/a-audiences.yaml:13:24: audiences.b.rule.not.audience: audience cycle: a -> b -> a',
      'references/a-audiences.yaml:15:57: audiences.selfish.rule.any.1.audience: audience cycle: selfish -> selfish',
    ]);
  });

  it('reports malformed rules with the field named', () => {
    expect(errorLines('invalid-rules')).toEqual([
      'invalid-rules/audiences.yaml:3:11: audiences.no_window.rule.within: is required: performed needs a window, e.g. 48h',
      'invalid-rules/audiences.yaml:8:16: audiences.two_bounds.rule.at_most: use one of at_least, at_most, exactly, not several',
      'invalid-rules/audiences.yaml:14:17: audiences.orphan_operator.rule.all.1.gt: gt needs a trait: add trait: <name>',
      'invalid-rules/audiences.yaml:16:11: audiences.two_kinds.rule: has trait and audience: one condition per object; ' +
        'combine conditions with all or any',
      'invalid-rules/audiences.yaml:18:68: audiences.bad_near.rule.near.lat: must be between -90 and 90',
      'invalid-rules/audiences.yaml:18:94: audiences.bad_near.rule.near.radius_km: must be greater than 0',
      'invalid-rules/audiences.yaml:20:48: audiences.bad_window.rule.within_next: "3 days" is not a duration longer ' +
        'than 0 such as 30s, 15m, 48h, 7d or 4w',
      'invalid-rules/audiences.yaml:21:3: audiences.Bad-Name: names are lower_snake_case: a letter, then letters, digits or _',
    ]);
  });

  it('finds a longer cycle through nested conditions once, and orders dependencies first', () => {
    const parse = (rule: unknown) => AudienceDefinition.parse({ rule });
    const looped = {
      x: parse({ any: [{ trait: 'plan', eq: 'pro' }, { not: { audience: 'y' } }] }),
      y: parse({ all: [{ audience: 'z' }] }),
      z: parse({ audience: 'x' }),
    };
    expect(audienceIssues(looped, {})).toEqual([
      { audience: 'z', path: ['rule', 'audience'], message: 'audience cycle: x -> y -> z -> x' },
    ]);
    expect(() => compileAudiences(looped)).toThrow('audience cycle: x -> y -> z -> x');

    const layered = {
      top: parse({ all: [{ audience: 'mid' }, { audience: 'base' }] }),
      mid: parse({ audience: 'base' }),
      base: parse({ trait: 'plan', eq: 'pro' }),
    };
    expect(audienceIssues(layered, {})).toEqual([]);
    expect(dependencyOrder(layered)).toEqual(['base', 'mid', 'top']);
    expect(compileAudiences(layered).names).toEqual(['top', 'mid', 'base']);
  });

  it('accepts the example mappings, with every seed audience', () => {
    const result = loadMappings(new URL('../../../mappings', import.meta.url).pathname, {}, DESTINATIONS);
    expect(result.ok ? [] : result.errors.map(formatConfigError)).toEqual([]);
    if (!result.ok) return;
    expect(Object.keys(result.config.audiences)).toEqual(
      expect.arrayContaining([
        'high_intent',
        'cart_abandoners',
        'trial_ending',
        'champions',
        'at_risk',
        'no_purchase_60d',
        'near_store',
        'vip_high_intent',
      ]),
    );
    expect(() => compileAudiences(result.config.audiences)).not.toThrow();
  });
});
