import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import {
  AllocationDecision,
  AllocationInputs,
  AllocationRun,
  RankedAudience,
  type AudienceSums,
} from '../../engine/budget/schema.js';
import {
  BUDGET_TRIGGERS,
  type BudgetSumsDelta,
  type NewBudgetRun,
  type StoredBudgetRun,
} from '../budget-port.js';

interface SumsRow {
  audience: string;
  size: number;
  sum_probability: number;
  sum_order_value: number;
  count_order_value: number;
}

interface RunRow {
  id: number;
  at: string;
  at_ms: number;
  trigger: string;
  changed: number;
  inputs: string;
  ranking: string;
  decisions: string;
  allocated: number;
  unallocated: number;
  explanation: string;
}

const Trigger = z.enum(BUDGET_TRIGGERS);

/** The budget part of the SQLite backend: running sums and allocation runs. */
export class SqliteBudget {
  private readonly s: ReturnType<typeof prepareStatements>;

  constructor(private readonly db: Database) {
    this.s = prepareStatements(db);
  }

  /** Adds a processing step's sum changes; runs inside the caller's transaction. */
  applySumsDeltas(deltas: readonly BudgetSumsDelta[]): void {
    for (const delta of deltas) {
      this.s.addDelta.run(
        delta.audience,
        delta.size,
        delta.sumProbability,
        delta.sumOrderValue,
        delta.countOrderValue,
      );
      this.s.clearEmpty.run(delta.audience);
      this.s.clearOrderValues.run(delta.audience);
    }
  }

  budgetSums(audiences: readonly string[]): Map<string, AudienceSums> {
    const found = new Map<string, AudienceSums>();
    if (audiences.length === 0) return found;
    for (const row of this.s.sums.all(JSON.stringify(audiences)) as SumsRow[]) {
      found.set(row.audience, {
        size: row.size,
        sumProbability: row.sum_probability,
        sumOrderValue: row.sum_order_value,
        countOrderValue: row.count_order_value,
      });
    }
    return found;
  }

  saveBudgetRun(entry: NewBudgetRun): StoredBudgetRun {
    const { run } = entry;
    const id = Number(
      this.s.insertRun.run(
        run.at,
        entry.atMs,
        entry.trigger,
        entry.changed ? 1 : 0,
        JSON.stringify(run.inputs),
        JSON.stringify(run.ranking),
        JSON.stringify(run.decisions),
        run.allocated,
        run.unallocated,
        run.explanation,
      ).lastInsertRowid,
    );
    return toStored(this.s.byId.get(id) as RunRow);
  }

  latestBudgetRun(): StoredBudgetRun | undefined {
    const row = this.s.latest.get() as RunRow | undefined;
    return row ? toStored(row) : undefined;
  }

  budgetRuns(limit: number, beforeId = Number.MAX_SAFE_INTEGER): StoredBudgetRun[] {
    return (this.s.runs.all(beforeId, limit) as RunRow[]).map(toStored);
  }

  pruneBudgetRuns(beforeMs: number): number {
    return this.s.prune.run(beforeMs).changes;
  }
}

/** A stored run, parsed at the edge: a row that does not hold a run is a bug (or a hand-edited file). */
function toStored(row: RunRow): StoredBudgetRun {
  const run = AllocationRun.parse({
    at: row.at,
    inputs: AllocationInputs.parse(JSON.parse(row.inputs)),
    ranking: z.array(RankedAudience).parse(JSON.parse(row.ranking)),
    decisions: z.array(AllocationDecision).parse(JSON.parse(row.decisions)),
    allocated: row.allocated,
    unallocated: row.unallocated,
    explanation: row.explanation,
  });
  return {
    id: row.id,
    run,
    trigger: Trigger.parse(row.trigger),
    changed: row.changed === 1,
    atMs: row.at_ms,
  };
}

function prepareStatements(db: Database) {
  return {
    addDelta: db.prepare(
      `INSERT INTO budget_sums (audience, size, sum_probability, sum_order_value, count_order_value)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (audience) DO UPDATE SET size = size + excluded.size,
         sum_probability = sum_probability + excluded.sum_probability,
         sum_order_value = sum_order_value + excluded.sum_order_value,
         count_order_value = count_order_value + excluded.count_order_value`,
    ),
    clearEmpty: db.prepare(
      `UPDATE budget_sums SET size = 0, sum_probability = 0, sum_order_value = 0, count_order_value = 0
       WHERE audience = ? AND size <= 0`,
    ),
    clearOrderValues: db.prepare(
      `UPDATE budget_sums SET sum_order_value = 0, count_order_value = 0
       WHERE audience = ? AND count_order_value <= 0`,
    ),
    sums: db.prepare(`SELECT b.* FROM json_each(?) AS j CROSS JOIN budget_sums AS b ON b.audience = j.value`),
    insertRun: db.prepare(
      `INSERT INTO budget_runs (at, at_ms, trigger, changed, inputs, ranking, decisions, allocated, unallocated, explanation)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    byId: db.prepare(`SELECT * FROM budget_runs WHERE id = ?`),
    latest: db.prepare(`SELECT * FROM budget_runs ORDER BY id DESC LIMIT 1`),
    runs: db.prepare(`SELECT * FROM budget_runs WHERE id < ? ORDER BY id DESC LIMIT ?`),
    prune: db.prepare(`DELETE FROM budget_runs WHERE at_ms < ? AND id < (SELECT max(id) FROM budget_runs)`),
  };
}
