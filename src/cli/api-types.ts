/** What the admin API answers (src/admin/routes.ts), as the CLI reads it. Types only. */
import type { AudienceSummary, Explanation, PreviewResult } from '../admin/audience-views.js';
import type { MembershipExit, MembershipHistoryEntry, ProfileView } from '../admin/profile-view.js';
import type { ConfigStatus } from '../admin/routes.js';
import type { ReloadResult } from '../config/live-config.js';
import type { ExplainNode } from '../engine/rules/explain.js';
import type { DeadLetter, DeliveryLogEntry } from '../store/delivery-port.js';

export type { AudienceSummary, ConfigStatus, DeadLetter, ExplainNode, Explanation, PreviewResult };
export type { MembershipExit, MembershipHistoryEntry, ProfileView, ReloadResult };

export interface AudienceList {
  audiences: AudienceSummary[];
}

export interface MemberList {
  audience: string;
  members: string[];
}

/** A delivery log entry with its time as an ISO string. */
export type DeliveryRow = Omit<DeliveryLogEntry, 'at'> & { at: string };

export interface DeliveryList {
  deliveries: DeliveryRow[];
}

export interface DeadLetterList {
  deadLetters: DeadLetter[];
}

export interface ReplayResult {
  replayed: number;
}

export interface Processing {
  storedSeq: number;
  processedSeq: number;
  pending: number;
}
