import type { RelayStore } from '../store/port.js';
import type { RebuildRecord, RebuildStatus } from '../store/rebuild-port.js';

/** `GET /admin/api/rebuild`: a rebuild's progress, as the operator reads it. */
export interface RebuildView {
  id: number;
  status: RebuildStatus;
  /** True once it is done (fan-out has resumed). */
  done: boolean;
  requestedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Events replayed of those stored when it started. */
  events: { done: number; total: number };
  /** After the replay: old profiles folded (`folding`), then live profiles emitted (`emitting`). */
  profiles: { done: number; total: number };
  /** The last error a step met (it is retried), if any. */
  error: string | null;
}

/** The newest rebuild with its replay progress (the processing cursor against its target). */
export async function rebuildView(
  store: RelayStore,
  record?: RebuildRecord,
): Promise<RebuildView | undefined> {
  const rebuild = record ?? (await store.latestRebuild());
  if (!rebuild) return undefined;
  const total = rebuild.targetSeq ?? 0;
  const replayed =
    rebuild.status === 'requested'
      ? 0
      : rebuild.status === 'replaying'
        ? Math.min(total, await store.readCursor('traits'))
        : total;
  return {
    id: rebuild.id,
    status: rebuild.status,
    done: rebuild.status === 'done',
    requestedAt: iso(rebuild.requestedAt) as string,
    startedAt: iso(rebuild.startedAt),
    finishedAt: iso(rebuild.finishedAt),
    events: { done: replayed, total },
    profiles: { done: rebuild.profilesDone, total: rebuild.profilesTotal },
    error: rebuild.error,
  };
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
