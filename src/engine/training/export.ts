import type { Clock } from '../../lib/clock.js';
import type { Logger } from '../../lib/logger.js';
import type { RelayConfig } from '../../mappings/schema.js';
import type { RelayStore } from '../../store/port.js';
import type { ProcessingSetup } from '../processing/processor.js';
import { trainingColumns, trainingCsv } from './csv.js';
import type { TrainingExportQuery } from './label.js';
import { trainingRows } from './replay.js';

export interface TrainingExportDeps {
  store: RelayStore;
  clock: Clock;
  logger: Logger;
  config: () => RelayConfig;
  setup: () => ProcessingSetup;
}

export type TrainingExportResult =
  | { ok: true; rows: number; positives: number; chunks: Iterable<string> }
  | { ok: false; status: 400 | 409; error: string };

/**
 * `GET /admin/api/training-export` (docs/training-export.md): every computed trait but the models as
 * it was at the cutoff, and the label from the events after it, as CSV. One export at a time: it
 * holds every person's traits in memory while it reads the log.
 */
export class TrainingExporter {
  private running = false;

  constructor(private readonly deps: TrainingExportDeps) {}

  async run(query: TrainingExportQuery): Promise<TrainingExportResult> {
    const { cutoff, label } = query;
    const labelEnds = cutoff + label.windowMs;
    if (labelEnds > this.deps.clock.now())
      return {
        ok: false,
        status: 400,
        error: `label: "${label.text}" needs the events up to ${iso(labelEnds)}, still ahead: the labels would be incomplete (choose an earlier cutoff)`,
      };
    if (this.running)
      return {
        ok: false,
        status: 409,
        error: 'training-export: another export is running; try again when it is done',
      };
    this.running = true;
    try {
      const config = this.deps.config();
      const setup = this.deps.setup();
      // Models are left out: today's model file was not the one in force at the cutoff.
      const features = Object.entries(config.traits)
        .filter(([, definition]) => definition.kind !== 'model')
        .map(([name]) => name);
      const rows = await trainingRows(
        this.deps.store,
        {
          identifiers: setup.identifiers,
          engine: setup.traits.engine,
          allowedLatenessMs: setup.traits.allowedLatenessMs,
          features,
        },
        cutoff,
        label,
      );
      const positives = rows.filter((row) => row.label).length;
      this.deps.logger.info(
        { cutoff: iso(cutoff), label: label.event, windowMs: label.windowMs, rows: rows.length, positives },
        'training export',
      );
      return {
        ok: true,
        rows: rows.length,
        positives,
        chunks: trainingCsv(trainingColumns(features, rows), rows),
      };
    } finally {
      this.running = false;
    }
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
