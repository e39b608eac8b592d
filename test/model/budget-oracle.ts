/**
 * Budget oracle: docs/budget.md's ranking measures recounted naively over every person's state, never
 * from running sums: per budget audience its size, the mean of its members' probabilities (a member
 * without one counts 0) and the average of their order values (or the constant). Independent of
 * src/engine/budget. `compareBudget` asks the relay for a run and compares its ranking.
 */
import type { BudgetConfig } from '../../src/mappings/budget-schema.js';
import { traitAt } from './conditions-oracle.js';
import type { OracleConfig, PersonState } from './oracle.js';

export interface BudgetMeasures {
  size: number;
  meanProbability: number;
  averageOrderValue: number;
}

const clamp = (p: number) => Math.min(1, Math.max(0, p));
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** A member's probability from its `value.probability` trait, as docs/budget.md words it. */
function probabilityOf(config: OracleConfig, budget: BudgetConfig, trait: string, value: unknown): number {
  if (!isNumber(value)) return 0;
  const def = config.traits[trait];
  const mapping = budget.probability_from_score;
  if (def?.kind === 'score' && mapping !== undefined) {
    if (mapping.kind === 'logistic')
      return clamp(1 / (1 + Math.exp(-(value - mapping.midpoint) / mapping.scale)));
    return clamp((value - mapping.min) / (mapping.max - mapping.min));
  }
  if (def?.kind === 'model') {
    const model = config.models[def.file];
    if (model?.kind === 'trees' && model.objective === 'binary:logitraw')
      return clamp(1 / (1 + Math.exp(-value)));
  }
  return clamp(value);
}

export function budgetMeasures(config: OracleConfig, states: PersonState[]): Record<string, BudgetMeasures> {
  const budget = config.budget;
  const measures: Record<string, BudgetMeasures> = {};
  for (const audience of budget?.audiences ?? []) {
    const value = config.audiences[audience]?.value;
    if (budget === undefined || value === undefined) continue;
    const members = states.filter((state) => state.memberships.has(audience));
    const probabilities = members.map((m) =>
      probabilityOf(config, budget, value.probability, traitAt(m.values, value.probability)),
    );
    const orderValues =
      typeof value.order_value === 'number'
        ? []
        : members.map((m) => traitAt(m.values, value.order_value as string)).filter(isNumber);
    const sum = (list: number[]) => list.reduce((total, x) => total + x, 0);
    measures[audience] = {
      size: members.length,
      meanProbability: members.length === 0 ? 0 : clamp(sum(probabilities) / members.length),
      averageOrderValue:
        typeof value.order_value === 'number'
          ? value.order_value
          : orderValues.length === 0
            ? 0
            : Math.max(0, sum(orderValues) / orderValues.length),
    };
  }
  return measures;
}

interface RankedRow {
  audience: string;
  size: number;
  meanProbability: number;
  averageOrderValue: number;
}

/**
 * Asks the relay for an allocation run (`POST /admin/api/budget/refresh`) and compares each budget
 * audience's measures with the oracle's at `early` and at the time of the answer: each member's
 * values were taken when processing last settled it, some time between the two, and they only move
 * one way within minutes (scores decay). An audience whose members differ between the two instants
 * is left out (counted unstable). Returns how many were.
 */
export async function compareBudget(
  refresh: () => Promise<{ status: number; body: unknown }>,
  config: OracleConfig,
  statesAt: (at: number) => PersonState[],
  early: number,
  out: string[],
): Promise<number> {
  const { status, body } = await refresh();
  const late = Date.now();
  if (status !== 200) {
    out.push(`budget: POST /budget/refresh answered ${status} ${JSON.stringify(body)}`);
    return 0;
  }
  const rows = new Map(((body as { rows?: RankedRow[] }).rows ?? []).map((row) => [row.audience, row]));
  const [statesEarly, statesLate] = [statesAt(early), statesAt(late)];
  const [a, b] = [budgetMeasures(config, statesEarly), budgetMeasures(config, statesLate)];
  let unstable = 0;
  for (const [audience, atEarly] of Object.entries(a)) {
    const atLate = b[audience] as BudgetMeasures;
    const row = rows.get(audience);
    if (row === undefined) {
      out.push(`budget ${audience}: not in the relay's ranking`);
      continue;
    }
    if (
      statesEarly.some(
        (state, i) => state.memberships.has(audience) !== statesLate[i]?.memberships.has(audience),
      )
    ) {
      unstable++;
      continue;
    }
    if (row.size !== atEarly.size)
      out.push(`budget ${audience}: size relay ${row.size}, oracle ${atEarly.size}`);
    for (const key of ['meanProbability', 'averageOrderValue'] as const) {
      const [lo, hi] = [Math.min(atEarly[key], atLate[key]), Math.max(atEarly[key], atLate[key])];
      const slack = 1e-9 * Math.max(1, Math.abs(hi));
      if (row[key] < lo - slack || row[key] > hi + slack)
        out.push(`budget ${audience}: ${key} relay ${row[key]}, oracle ${lo === hi ? lo : `${lo}..${hi}`}`);
    }
  }
  return unstable;
}
