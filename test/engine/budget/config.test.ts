import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { allocationInputs } from '../../../src/engine/budget/index.js';
import { formatConfigError } from '../../../src/mappings/load.js';
import { parseMappingFile } from '../../../src/mappings/load.js';
import { mergeFiles, type ParsedFile } from '../../../src/mappings/merge.js';
import type { RelayConfig } from '../../../src/mappings/schema.js';

/**
 * `budget:` and `scores:` in the mapping files: defaults, the schema's refusals, and the references
 * checked when files are merged (audiences with a `value:`, a rule score's probability mapping,
 * channels that are destinations), each at the line it is written.
 */

const TRAITS = `
traits:
  avg_order_value: { avg: { event: Order Completed, property: properties.revenue, window: 365d } }
  lead_score:
    score: { half_life: 14d, max: 100, rules: [{ points: 40, reason: Demo, when: { event: Demo Requested } }] }
  p_convert: { model: { file: models/p_convert.json } }
audiences:
  high_intent:
    rule: { trait: lead_score, gt: 80 }
    value: { probability: p_convert, order_value: avg_order_value }
  champions:
    rule: { trait: lead_score, gt: 90 }
    value: { probability: p_convert, order_value: 140 }
  warm_leads:
    rule: { trait: lead_score, gt: 50 }
    value: { probability: lead_score, order_value: 80 }
  cart_abandoners:
    rule: { performed: { event: Product Added }, at_least: 1, within: 4h }
destinations:
  meta_high_intent: { type: ads, settings: {} }
  google_high_intent: { type: ads, settings: {} }
`;

/** A destination type that accepts anything: these tests are about the budget's references. */
const TYPES = { ads: { settingsSchema: z.unknown(), mappingSchema: z.unknown() } };

function load(...texts: string[]): { ok: true; config: RelayConfig } | { ok: false; errors: string[] } {
  const files: ParsedFile[] = [];
  const errors: string[] = [];
  texts.forEach((text, index) => {
    const parsed = parseMappingFile(`file-${index}.yaml`, text, {});
    errors.push(...parsed.errors.map(formatConfigError));
    if (parsed.file) files.push(parsed.file);
  });
  if (errors.length > 0) return { ok: false, errors };
  const merged = mergeFiles(files, TYPES);
  return merged.ok ? merged : { ok: false, errors: merged.errors.map(formatConfigError) };
}

const BUDGET = `budget:
  total: 10000
  period: day
  audiences: [high_intent, champions]
  cap_per_member: 2.0
`;

describe('budget and scores in the mapping files', () => {
  it('fills the defaults: refresh 15m, minimum size 100, scores psi_threshold 0.2, 10 bins, 3 tiers, a 7-day reference', () => {
    const result = load(TRAITS, BUDGET);
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect(result.config.budget).toEqual({
      total: 10000,
      period: 'day',
      refresh: 900_000,
      audiences: ['high_intent', 'champions'],
      min_audience_size: 100,
      cap_per_member: 2,
    });
    expect(result.config.scores).toEqual({
      psi_threshold: 0.2,
      bins: 10,
      tiers: 3,
      reference: 7 * 24 * 60 * 60 * 1000,
    });
  });

  it('has no budget unless a file has one', () => {
    const result = load(TRAITS);
    expect(result.ok && result.config.budget).toBe(undefined);
  });

  it('builds allocation inputs from the budget, the audiences and their running sums', () => {
    const result = load(TRAITS, `${BUDGET}  channels: { meta_high_intent: 0.6, google_high_intent: 0.4 }\n`);
    if (!result.ok || !result.config.budget) throw new Error('the budget should load');
    const sums = { size: 820, sumProbability: 672.4, sumOrderValue: 96000, countOrderValue: 800 };
    const inputs = allocationInputs(result.config.budget, result.config.audiences, (name) =>
      name === 'high_intent' ? sums : undefined,
    );
    expect(inputs).toEqual({
      budget: {
        total: 10000,
        period: 'day',
        minAudienceSize: 100,
        capPerMember: 2,
        channels: { meta_high_intent: 0.6, google_high_intent: 0.4 },
      },
      audiences: [
        { audience: 'high_intent', ...sums, constantOrderValue: null },
        {
          audience: 'champions',
          size: 0,
          sumProbability: 0,
          sumOrderValue: 0,
          countOrderValue: 0,
          constantOrderValue: 140,
        },
      ],
    });
  });

  const refusals: { name: string; files: string[]; errors: string[] }[] = [
    {
      name: 'audiences that are not defined, or have no value to rank by',
      files: [TRAITS, BUDGET.replace('[high_intent, champions]', '[high_intent, nobody, cart_abandoners]')],
      errors: [
        'file-1.yaml:4:28: budget.audiences.1: unknown audience "nobody"',
        'file-1.yaml:4:36: budget.audiences.2: audience "cart_abandoners" has no value: { probability, order_value } to rank it by',
      ],
    },
    {
      name: 'a rule score as a probability without probability_from_score',
      files: [TRAITS, BUDGET.replace('[high_intent, champions]', '[warm_leads]')],
      errors: [
        'file-1.yaml:4:15: budget.audiences.0: audience "warm_leads" ranks by the rule score "lead_score": set probability_from_score (logistic or linear) to turn its points into a probability',
      ],
    },
    {
      name: 'a channel that is not a destination, and shares that do not add up to 1',
      files: [TRAITS, `${BUDGET}  channels: { meta_high_intent: 0.6, tiktok: 0.3 }\n`],
      errors: [
        'file-1.yaml:6:13: budget.channels: shares must add up to 1 (they add up to 0.8999999999999999)',
      ],
    },
    {
      name: 'a channel that is not a destination',
      files: [TRAITS, `${BUDGET}  channels: { meta_high_intent: 0.6, tiktok: 0.4 }\n`],
      errors: ['file-1.yaml:6:46: budget.channels.tiktok: unknown destination "tiktok"'],
    },
    {
      name: 'a budget in two files',
      files: [TRAITS, BUDGET, BUDGET],
      errors: ['file-2.yaml:2:3: budget: section "budget" is already defined in file-1.yaml'],
    },
    {
      name: 'values out of range',
      files: [
        `budget:
  total: 0
  period: hour
  refresh: 30s
  audiences: []
  min_audience_size: 1.5
  cap_per_member: -1
  probability_from_score: { logistic: { midpoint: 50, scale: 0 }, linear: { min: 0, max: 100 } }
scores: { psi_threshold: 0, bins: 1, tiers: 11 }
`,
      ],
      errors: [
        'file-0.yaml:2:10: budget.total: must be greater than 0',
        'file-0.yaml:3:11: budget.period: must be one of day, week, month',
        'file-0.yaml:4:12: budget.refresh: must be at least 1m',
        'file-0.yaml:5:14: budget.audiences: needs at least one audience',
        'file-0.yaml:6:22: budget.min_audience_size: must be a whole number',
        'file-0.yaml:7:19: budget.cap_per_member: must be greater than 0',
        'file-0.yaml:8:62: budget.probability_from_score.logistic.scale: must be greater than 0',
        'file-0.yaml:8:27: budget.probability_from_score: needs exactly one of logistic: { midpoint, scale } or linear: { min, max }',
        'file-0.yaml:9:26: scores.psi_threshold: must be greater than 0',
        'file-0.yaml:9:35: scores.bins: must be at least 2',
        'file-0.yaml:9:45: scores.tiers: must be at most 10',
      ],
    },
    {
      name: 'a negative order value',
      files: [
        `audiences:
  a:
    rule: { trait: x, gt: 1 }
    value: { probability: p, order_value: -5 }
`,
      ],
      errors: ['file-0.yaml:4:43: audiences.a.value.order_value: must not be negative'],
    },
    {
      name: 'an order value that is neither a trait nor an amount',
      files: [
        `audiences:
  a:
    rule: { trait: x, gt: 1 }
    value: { probability: p, order_value: true }
`,
      ],
      errors: [
        'file-0.yaml:4:43: audiences.a.value.order_value: must be a trait name or an amount such as 120',
      ],
    },
  ];

  for (const refusal of refusals)
    it(`refuses ${refusal.name}`, () => {
      const result = load(...refusal.files);
      expect(result.ok ? [] : result.errors).toEqual(refusal.errors);
    });
});
