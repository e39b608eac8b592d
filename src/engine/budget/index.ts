/** Budget ranking and allocation (docs/budget.md): pure functions over running sums and the budget. */
export { allocate, replay } from './allocate.js';
export { splitByChannel, type ChannelSplit } from './channels.js';
export { allocationInputs } from './inputs.js';
export {
  clampProbability,
  orderValueOf,
  probabilityOf,
  probabilitySourceOf,
  scoreToProbability,
  type ProbabilitySource,
} from './probability.js';
export { rankAudiences } from './rank.js';
export * from './schema.js';
export { addMember, changeMember, emptySums, removeMember, type MemberValues } from './sums.js';
