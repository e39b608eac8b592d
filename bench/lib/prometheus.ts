import { round } from './cpu.js';

/** The relay's group-commit histograms (sum and count) and processing counter, from GET /metrics. */
export interface CommitCounters {
  commits: number;
  events: number;
  requests: number;
  seconds: number;
  /** relay_events_processed_total: the processing loop works in the same process while intake runs. */
  processed: number;
}

/** Group commits during a measurement: the difference of two scrapes. */
export interface CommitFigures {
  commits: number;
  commitsPerSecond: number;
  /** relay_store_commit_group_events sum/count. */
  meanGroupEvents: number | undefined;
  /** relay_store_commit_group_requests sum/count. */
  meanGroupRequests: number | undefined;
  /** relay_store_commit_seconds sum/count, in milliseconds (includes the fsync). */
  meanCommitMs: number | undefined;
  /** Share of the measurement the relay's only thread spent inside commits. */
  commitBusyShare: number;
  /** Stored events the relay's processing loop applied to profiles per second during the measurement. */
  eventsProcessedPerSecond: number;
}

export async function scrapeCommitCounters(baseUrl: string): Promise<CommitCounters> {
  const response = await fetch(`${baseUrl}/metrics`);
  if (!response.ok) throw new Error(`GET /metrics answered ${response.status}`);
  const text = await response.text();
  return {
    commits: sampleValue(text, 'relay_store_commit_group_events_count'),
    events: sampleValue(text, 'relay_store_commit_group_events_sum'),
    requests: sampleValue(text, 'relay_store_commit_group_requests_sum'),
    seconds: sampleValue(text, 'relay_store_commit_seconds_sum'),
    processed: sampleValue(text, 'relay_events_processed_total'),
  };
}

export function commitFigures(
  before: CommitCounters,
  after: CommitCounters,
  durationS: number,
): CommitFigures {
  const commits = after.commits - before.commits;
  const per = (total: number, scale = 1) => (commits === 0 ? undefined : round((total * scale) / commits, 2));
  const seconds = after.seconds - before.seconds;
  return {
    commits,
    commitsPerSecond: Math.round(commits / durationS),
    meanGroupEvents: per(after.events - before.events),
    meanGroupRequests: per(after.requests - before.requests),
    meanCommitMs: per(seconds, 1000),
    commitBusyShare: round(seconds / durationS, 3),
    eventsProcessedPerSecond: Math.round((after.processed - before.processed) / durationS),
  };
}

/** The value of an unlabelled sample in Prometheus text format (0 when absent). */
export function sampleValue(text: string, name: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? 0 : Number(line.slice(name.length + 1).trim());
}
