/**
 * Identity oracle: docs/processing.md "Identity and merges", applied one event at a time in arrival
 * order, with a union-find over profiles. Deliberately naive: no indexes beyond one owner map, no
 * batching, every rule written out in the doc's order. Independent of src/identity.
 */

/** `alias`: a previousId nobody owned when its alias arrived (rule 5). */
export type IdentifierKind = 'userId' | 'email' | 'anonymousId' | 'alias';

/** An event as the oracle sees it: arrival index, identifiers already read, event time, body. */
export interface OracleEvent {
  /** Arrival order (the store's seq): 0, 1, 2, ... after dropping duplicates. */
  seq: number;
  messageId: string;
  type: string;
  eventTime: number;
  body: Record<string, unknown>;
  userId?: string;
  email?: string;
  anonymousId?: string;
  /** `alias` only. */
  previousId?: string;
}

export interface OracleProfile {
  id: number;
  /** `kind:value`, e.g. `userId:u1`, `alias:a9`. */
  identifiers: Set<string>;
  events: OracleEvent[];
  /** Set when merged away: the profile it was merged into (union-find parent). */
  mergedInto?: number;
}

const key = (kind: IdentifierKind, value: string) => `${kind}:${value}`;

/**
 * "Identifiers are read from the event in priority order: userId, then email, then anonymousId."
 * Only the configured kinds (`identity.identifiers`) count.
 */
export function identifiersInPriorityOrder(event: OracleEvent, configured: readonly string[]): string[] {
  const ids: string[] = [];
  if (event.userId !== undefined && configured.includes('userId')) ids.push(key('userId', event.userId));
  if (event.email !== undefined && configured.includes('email')) ids.push(key('email', event.email));
  if (event.anonymousId !== undefined && configured.includes('anonymousId'))
    ids.push(key('anonymousId', event.anonymousId));
  return ids;
}

export class IdentityOracle {
  readonly profiles: OracleProfile[] = [];
  /** identifier -> the profile that claimed it (possibly merged away since: use `find`). */
  private readonly owners = new Map<string, number>();
  /** Events with none of the configured identifiers (rule 6). */
  readonly unattributed: OracleEvent[] = [];

  constructor(private readonly configured: readonly string[]) {}

  /** Union-find: the live profile a (possibly merged-away) profile now belongs to. */
  find(id: number): OracleProfile {
    let profile = this.profiles[id] as OracleProfile;
    while (profile.mergedInto !== undefined) profile = this.profiles[profile.mergedInto] as OracleProfile;
    return profile;
  }

  /** The live owner of an identifier in exactly this kind, or undefined when no live profile owns it. */
  ownerOf(identifier: string): OracleProfile | undefined {
    const id = this.owners.get(identifier);
    return id === undefined ? undefined : this.find(id);
  }

  /**
   * The owner an event's identifier resolves to: its owner in its own kind, else (for a userId or an
   * anonymousId) the owner of the same value as an `alias` identifier (rule 5: "a later event whose
   * userId or anonymousId equals it resolves to the target").
   */
  resolve(identifier: string): OracleProfile | undefined {
    const exact = this.ownerOf(identifier);
    if (exact) return exact;
    const [kind, ...value] = identifier.split(':');
    if (kind !== 'userId' && kind !== 'anonymousId') return undefined;
    return this.ownerOf(key('alias', value.join(':')));
  }

  live(): OracleProfile[] {
    return this.profiles.filter((profile) => profile.mergedInto === undefined);
  }

  /** "For rules 1 and 2, an alias identifier counts as one of the profile's userIds." Values only. */
  private userIdsOf(profile: OracleProfile): string[] {
    const ids = [...profile.identifiers].filter((id) => id.startsWith('userId:') || id.startsWith('alias:'));
    return ids.map((id) => id.slice(id.indexOf(':') + 1));
  }

  private newProfile(): OracleProfile {
    const profile: OracleProfile = { id: this.profiles.length, identifiers: new Set(), events: [] };
    this.profiles.push(profile);
    return profile;
  }

  private claim(profile: OracleProfile, identifier: string): void {
    profile.identifiers.add(identifier);
    this.owners.set(identifier, profile.id);
  }

  /** "A merge keeps the target's profile id"; identifiers and events move over. */
  private merge(target: OracleProfile, other: OracleProfile): void {
    if (target === other) return;
    for (const identifier of other.identifiers) this.claim(target, identifier);
    target.events.push(...other.events);
    other.identifiers.clear();
    other.events = [];
    other.mergedInto = target.id;
  }

  /** Rule 1: "compatible unless the event carries a userId that the owner does not have while the owner has another userId". */
  private compatible(owner: OracleProfile, event: OracleEvent): boolean {
    if (event.userId === undefined || !this.configured.includes('userId')) return true;
    const userIds = this.userIdsOf(owner);
    return userIds.length === 0 || userIds.includes(event.userId);
  }

  /** Resolves one event (arrival order) and attaches it; returns the profile it is attached to. */
  apply(event: OracleEvent): OracleProfile | undefined {
    const ids = identifiersInPriorityOrder(event, this.configured);
    // Rule 6: no configured identifier -> stored, attached to no profile.
    if (ids.length === 0) {
      this.unattributed.push(event);
      return undefined;
    }
    const carriesUserId = ids.some((id) => id.startsWith('userId:'));
    // previousId "as a userId, an anonymousId, or an earlier alias"
    const previous =
      event.type === 'alias' && event.previousId !== undefined
        ? (['userId', 'anonymousId', 'alias'] as const).map((kind) => key(kind, event.previousId as string))
        : [];

    // Rule 1: the target is the owner of the first identifier (priority order) whose owner is compatible.
    let target: OracleProfile | undefined;
    for (const id of ids) {
      const owner = this.resolve(id);
      if (owner && this.compatible(owner, event)) {
        target = owner;
        break;
      }
    }
    // Rule 3: no compatible owner -> the owner of an alias's previousId if there is one, else a new profile.
    if (!target) {
      for (const id of previous) {
        target = this.ownerOf(id);
        if (target) break;
      }
    }
    target ??= this.newProfile();

    // Rule 2: every other owner of one of the event's identifiers is merged into the target, unless a
    // profile with a userId would be merged into a target with a userId, or the event carries a userId.
    for (const id of ids) {
      const owner = this.resolve(id);
      if (!owner || owner === target) continue;
      const ownerHasUserId = this.userIdsOf(owner).length > 0;
      if (ownerHasUserId && (this.userIdsOf(target).length > 0 || carriesUserId)) continue; // keeps its identifier
      this.merge(target, owner);
    }

    // Rule 4: every identifier of the event that no live profile owns is added to the target; one the
    // target holds as an `alias` is claimed in its real kind (rule 5); one another profile holds as an
    // `alias` stays with that profile.
    for (const id of ids) {
      const owner = this.resolve(id);
      if (!this.ownerOf(id) && (owner === undefined || owner === target)) this.claim(target, id);
    }

    // Rule 5: alias -> the owners of previousId (as userId, anonymousId or alias) are merged into the
    // target unconditionally; if nobody owns previousId yet, the target keeps it as an `alias`.
    if (previous.length > 0) {
      const owners = previous.map((id) => this.ownerOf(id));
      if (owners.every((owner) => owner === undefined)) {
        this.claim(target, key('alias', event.previousId as string));
      } else {
        for (const owner of owners) if (owner) this.merge(target, owner);
      }
    }

    target.events.push(event);
    return target;
  }
}

/** Every live profile after applying the events in arrival order. */
export function resolveIdentities(events: OracleEvent[], configured: readonly string[]): OracleProfile[] {
  const oracle = new IdentityOracle(configured);
  for (const event of events) oracle.apply(event);
  return oracle.live();
}
