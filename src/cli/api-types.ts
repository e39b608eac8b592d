/**
 * What the admin API answers, as the CLI and the admin page read it: the types of the shared schemas
 * in src/admin/api-schema.ts (the API builds its answers to satisfy them; the CLI parses with them).
 * Types only, so the page's bundle takes no server code from here.
 */
export type {
  AudienceList,
  AudienceSummary,
  ConfigStatus,
  DeadLetter,
  DeadLetterList,
  DeliveryList,
  DeliveryRow,
  DestinationStatus,
  Explanation,
  ExportIdentifier,
  IdentifierRef,
  MatchView,
  MemberList,
  MembershipExit,
  MembershipHistoryEntry,
  PreviewResult,
  Processing,
  ProfileView,
  RebuildView,
  ReloadResult,
  ReplayResult,
} from '../admin/api-schema.js';
export type { ExplainNode } from '../engine/rules/explain.js';
