import { describe, expect, it } from 'vitest';
import { allocate } from '../../../src/engine/budget/allocate.js';
import {
  allocationChanged,
  allocationChangedEvent,
  configFingerprint,
} from '../../../src/engine/budget/allocation-event.js';
import {
  budgetValueSpecs,
  contributionsOf,
  sumsDeltas,
  type BudgetValueSpec,
  type Contributions,
} from '../../../src/engine/budget/contribution.js';
import type { AllocationInputs } from '../../../src/engine/budget/schema.js';
import { AudienceDefinition } from '../../../src/mappings/audiences-schema.js';
import { BudgetConfig } from '../../../src/mappings/budget-schema.js';
import { TraitDefinition } from '../../../src/mappings/traits-schema.js';

/** What a profile contributes to the running sums, the sums' changes a commit carries, and when an allocation changed. */

const traits = {
  lead_score: TraitDefinition.parse({
    score: { half_life: '14d', rules: [{ points: 10, reason: 'Demo', when: { event: 'Demo Requested' } }] },
  }),
  p_convert: TraitDefinition.parse({ model: { file: 'models/p.json' } }),
  aov: TraitDefinition.parse({
    avg: { event: 'Order Completed', property: 'properties.revenue', window: '365d' },
  }),
};
const audiences = {
  warm: AudienceDefinition.parse({
    rule: { trait: 'lead_score', gt: 1 },
    value: { probability: 'lead_score', order_value: 'aov' },
  }),
  hot: AudienceDefinition.parse({
    rule: { trait: 'lead_score', gt: 2 },
    value: { probability: 'p_convert', order_value: 80 },
  }),
};
const budget = BudgetConfig.parse({
  total: 100,
  period: 'day',
  audiences: ['hot', 'warm'],
  cap_per_member: 1,
  probability_from_score: { linear: { min: 0, max: 100 } },
});

describe('contributions to the running sums', () => {
  const specs: BudgetValueSpec[] = budgetValueSpecs(budget, audiences, traits, () => 'margin');

  it('reads each budget audience its own way: a rule score through the mapping, a margin model through the logistic', () => {
    expect(specs).toEqual([
      {
        audience: 'hot',
        probabilityTrait: 'p_convert',
        probabilitySource: { kind: 'margin' },
        orderValueTrait: null,
      },
      {
        audience: 'warm',
        probabilityTrait: 'lead_score',
        probabilitySource: { kind: 'score', mapping: { kind: 'linear', min: 0, max: 100 } },
        orderValueTrait: 'aov',
      },
    ]);
    expect(budgetValueSpecs(undefined, audiences, traits, () => 'probability')).toEqual([]);
  });

  it('contributes to the audiences the profile is a member of, leaving out values it has none of', () => {
    const values = { lead_score: 40, p_convert: 0, aov: 'n/a' };
    expect(contributionsOf(values, { warm: true, hot: true }, specs)).toEqual({
      hot: { p: 0.5 },
      warm: { p: 0.4 },
    });
    expect(contributionsOf({ aov: 12 }, { warm: true, other: true }, specs)).toEqual({ warm: { v: 12 } });
    expect(contributionsOf(values, {}, specs)).toEqual({});
  });

  const cases: {
    name: string;
    changes: [Contributions | undefined, Contributions | undefined][];
    deltas: unknown[];
  }[] = [
    {
      name: 'a new member adds itself',
      changes: [[undefined, { a: { p: 0.5, v: 10 } }]],
      deltas: [{ audience: 'a', size: 1, sumProbability: 0.5, sumOrderValue: 10, countOrderValue: 1 }],
    },
    {
      name: 'a profile merged away takes itself out',
      changes: [[{ a: { p: 0.5 } }, undefined]],
      deltas: [{ audience: 'a', size: -1, sumProbability: -0.5, sumOrderValue: 0, countOrderValue: 0 }],
    },
    {
      name: 'a member whose values change is taken out as it was and added as it is',
      changes: [[{ a: { p: 0.5, v: 10 } }, { a: { p: 0.75 } }]],
      deltas: [{ audience: 'a', size: 0, sumProbability: 0.25, sumOrderValue: -10, countOrderValue: -1 }],
    },
    {
      name: 'unchanged contributions change nothing',
      changes: [
        [
          { a: { p: 0.5 }, b: {} },
          { a: { p: 0.5 }, b: {} },
        ],
        [undefined, undefined],
      ],
      deltas: [],
    },
    {
      name: 'the changes of several profiles add up per audience, and cancel out',
      changes: [
        [undefined, { a: { p: 0.5 } }],
        [{ a: { p: 0.5 } }, { b: { v: 3 } }],
      ],
      deltas: [{ audience: 'b', size: 1, sumProbability: 0, sumOrderValue: 3, countOrderValue: 1 }],
    },
  ];
  it.each(cases)('$name', ({ changes, deltas }) => {
    expect(sumsDeltas(changes)).toEqual(deltas);
  });
});

describe('allocation changes', () => {
  const inputs: AllocationInputs = {
    budget: { total: 100, period: 'day', minAudienceSize: 1, capPerMember: 10, channels: {} },
    audiences: [
      {
        audience: 'a',
        size: 5,
        sumProbability: 2.5,
        sumOrderValue: 50,
        countOrderValue: 5,
        constantOrderValue: null,
      },
      {
        audience: 'b',
        size: 20,
        sumProbability: 2,
        sumOrderValue: 0,
        countOrderValue: 0,
        constantOrderValue: 10,
      },
    ],
  };
  const run = allocate(inputs, '2026-01-01T00:00:00.000Z');

  it('counts a changed amount as a change, and a changed measure that moves no money as none', () => {
    expect(allocationChanged(undefined, run)).toBe(true);
    const sameAmounts = allocate(
      { ...inputs, audiences: [{ ...inputs.audiences[0]!, sumProbability: 2.4 }, inputs.audiences[1]!] },
      run.at,
    );
    expect(allocationChanged(run, sameAmounts)).toBe(false);
    const moreMembers = allocate(
      { ...inputs, audiences: [{ ...inputs.audiences[0]!, size: 6 }, inputs.audiences[1]!] },
      run.at,
    );
    expect(allocationChanged(run, moreMembers)).toBe(true);
  });

  it('tells a changed budget or audience list from changed sums', () => {
    const sums = {
      ...inputs,
      audiences: inputs.audiences.map((input) => ({ ...input, size: input.size + 1 })),
    };
    expect(configFingerprint(sums)).toBe(configFingerprint(inputs));
    expect(configFingerprint({ ...inputs, budget: { ...inputs.budget, total: 200 } })).not.toBe(
      configFingerprint(inputs),
    );
    expect(configFingerprint({ ...inputs, audiences: inputs.audiences.slice(1) })).not.toBe(
      configFingerprint(inputs),
    );
  });

  it('says in the event what each audience gets now and got before', () => {
    const stored = { id: 2, run, trigger: 'api' as const, changed: true, atMs: 0 };
    const previous = {
      id: 1,
      run: allocate({ ...inputs, audiences: inputs.audiences.slice(0, 1) }, run.at),
      trigger: 'schedule' as const,
      changed: true,
      atMs: 0,
    };
    const event = allocationChangedEvent(stored, previous);
    expect(event.type).toBe('budget.allocation_changed');
    expect(event.data).toMatchObject({ runId: 2, previousRunId: 1, totalCents: 10_000, trigger: 'api' });
    expect(event.data.allocations.map((a) => [a.audience, a.cents, a.previousCents])).toEqual([
      ['a', 5_000, 5_000],
      ['b', 5_000, null],
    ]);
  });
});
