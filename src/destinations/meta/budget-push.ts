import { z } from 'zod';
import type { BuiltRequest, Classified, HttpResult, RelayEvent } from '../../delivery/destination.js';
import { budgetPushCents } from '../budget-push-kit.js';
import { wholeRequest } from '../classify-kit.js';
import { classify } from './classify.js';
import type { MetaMapping, MetaSettings } from './settings.js';

/**
 * The optional budget push (README.md "Budget push"): on `budget.allocation_changed`, this
 * destination's daily amount becomes its ad set's `daily_budget`, in the account currency's minor
 * unit (cents): `POST /{version}/{ad_set_id}` `{"daily_budget": 60000}`, answered `{"success": true}`.
 * https://developers.facebook.com/docs/marketing-api/reference/ad-campaign/#Updating
 */

const Updated = z.looseObject({ success: z.boolean() });

export function budgetPushRequest(
  event: RelayEvent,
  config: { settings: MetaSettings; mapping: MetaMapping },
  destinationName: string,
): BuiltRequest | undefined {
  const push = config.mapping.budget_push;
  if (push === undefined) return undefined;
  const cents = budgetPushCents(event, destinationName, [config.mapping.audience]);
  if (cents === undefined) return undefined;
  const { endpoint, api_version: version, access_token: token } = config.settings;
  return {
    method: 'POST',
    url: `${endpoint}/${version}/${push.ad_set_id}`,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: { daily_budget: cents },
    items: [0],
  };
}

/** The ad set update's body: `/users` bodies carry a `payload`, never a `daily_budget`. */
export function isBudgetPush(request: BuiltRequest): boolean {
  const body = request.body;
  return body !== null && typeof body === 'object' && 'daily_budget' in body;
}

/** Errors read with Meta's error table, as for uploads; a 2xx must say `success: true`. */
export function classifyBudgetPush(result: HttpResult, request: BuiltRequest): Classified {
  if (result.kind !== 'response' || result.status < 200 || result.status >= 300)
    return classify(result, request);
  const answer = Updated.safeParse(result.body);
  if (answer.success && answer.data.success) return wholeRequest(1, { kind: 'ok' });
  return wholeRequest(1, {
    kind: 'reject',
    reason: 'Meta did not confirm the ad set update (no success: true)',
  });
}
