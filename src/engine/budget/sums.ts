import type { AudienceSums } from './schema.js';

/**
 * The running sums ranking reads, kept per audience and updated with each membership or value change
 * (never by scanning profiles). Pure: each function returns new sums. Adding and taking away floats
 * leaves tiny residues, so sums reset to exactly 0 when the last member (or the last order value)
 * leaves, and ranking clamps the means it derives.
 */

/** What one member contributes: its probability (undefined counts as 0) and order value, if any. */
export interface MemberValues {
  probability: number | undefined;
  orderValue: number | undefined;
}

export function emptySums(): AudienceSums {
  return { size: 0, sumProbability: 0, sumOrderValue: 0, countOrderValue: 0 };
}

export function addMember(sums: AudienceSums, member: MemberValues): AudienceSums {
  const hasOrderValue = member.orderValue !== undefined;
  return {
    size: sums.size + 1,
    sumProbability: sums.sumProbability + (member.probability ?? 0),
    sumOrderValue: sums.sumOrderValue + (member.orderValue ?? 0),
    countOrderValue: sums.countOrderValue + (hasOrderValue ? 1 : 0),
  };
}

export function removeMember(sums: AudienceSums, member: MemberValues): AudienceSums {
  const size = Math.max(0, sums.size - 1);
  if (size === 0) return emptySums();
  const countOrderValue = Math.max(0, sums.countOrderValue - (member.orderValue !== undefined ? 1 : 0));
  return {
    size,
    sumProbability: sums.sumProbability - (member.probability ?? 0),
    sumOrderValue: countOrderValue === 0 ? 0 : sums.sumOrderValue - (member.orderValue ?? 0),
    countOrderValue,
  };
}

/**
 * One member's change: `before` / `after` are its values while a member, null when not one (it
 * entered, left, or its values changed while it stayed).
 */
export function changeMember(
  sums: AudienceSums,
  before: MemberValues | null,
  after: MemberValues | null,
): AudienceSums {
  const without = before === null ? sums : removeMember(sums, before);
  return after === null ? without : addMember(without, after);
}
