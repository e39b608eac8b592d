import { z } from 'zod';
import type { BuiltRequest, Classified, HttpResult, RelayEvent } from '../../delivery/destination.js';
import { budgetPushCents } from '../budget-push-kit.js';
import { wholeRequest } from '../classify-kit.js';
import { classify } from './classify.js';
import type { GoogleMapping, GoogleSettings } from './settings.js';

/**
 * The optional budget push (README.md "Budget push"): on `budget.allocation_changed`, this
 * destination's daily amount becomes a Google Ads campaign budget's `amount_micros` through
 * `CampaignBudgetService.MutateCampaignBudgets` (REST:
 * `POST /{version}/customers/{customer_id}/campaignBudgets:mutate`), answered with the resource
 * names it changed.
 * https://developers.google.com/google-ads/api/reference/rpc/latest/CampaignBudgetService
 */

export const MUTATE_BUDGETS_PATH = 'campaignBudgets:mutate';

/** Micros per cent: amounts are millionths of the currency's unit. */
const MICROS_PER_CENT = 10_000n;

const MutateAnswer = z.looseObject({
  results: z.array(z.looseObject({ resourceName: z.string() })).min(1),
});

/** `GoogleAdsFailure.errors[].errorCode`, e.g. `{"campaignBudgetError":"NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT"}`. */
const AdsFailure = z.looseObject({
  error: z.looseObject({
    details: z.array(
      z.looseObject({
        errors: z
          .array(z.looseObject({ errorCode: z.record(z.string(), z.unknown()).optional() }))
          .optional(),
      }),
    ),
  }),
});

export function budgetPushRequest(
  event: RelayEvent,
  config: { settings: GoogleSettings; mapping: GoogleMapping },
  destinationName: string,
): BuiltRequest | undefined {
  const push = config.mapping.budget_push;
  if (push === undefined) return undefined;
  const cents = budgetPushCents(event, destinationName, [config.mapping.audience]);
  if (cents === undefined) return undefined;
  const { settings } = config;
  const customer = `customers/${push.customer_id}`;
  return {
    method: 'POST',
    url: `${push.endpoint}/${push.api_version}/${customer}/${MUTATE_BUDGETS_PATH}`,
    headers: {
      Authorization: `Bearer ${settings.access_token}`,
      'Content-Type': 'application/json',
      ...(settings.developer_token === undefined ? {} : { 'developer-token': settings.developer_token }),
      ...(settings.login_account_id === undefined ? {} : { 'login-customer-id': settings.login_account_id }),
    },
    body: {
      operations: [
        {
          update: {
            resourceName: `${customer}/campaignBudgets/${push.campaign_budget_id}`,
            // int64 travels as a string in Google's JSON; a large budget in micros passes 2^53.
            amountMicros: String(BigInt(cents) * MICROS_PER_CENT),
          },
          updateMask: 'amount_micros',
        },
      ],
    },
    items: [0],
  };
}

export function isBudgetPush(request: BuiltRequest): boolean {
  return request.url.endsWith(`/${MUTATE_BUDGETS_PATH}`);
}

/** Errors read with the Data Manager status table (both speak google.rpc), plus the Google Ads error codes. */
export function classifyBudgetPush(result: HttpResult, request: BuiltRequest): Classified {
  if (result.kind === 'response' && result.status >= 200 && result.status < 300) {
    return MutateAnswer.safeParse(result.body).success
      ? wholeRequest(1, { kind: 'ok' })
      : wholeRequest(1, { kind: 'reject', reason: 'Google did not name the campaign budget it changed' });
  }
  const classified = classify(result, request);
  const codes = result.kind === 'response' ? adsErrorCodes(result.body) : [];
  if (codes.length === 0) return classified;
  const more = ` [${codes.join(', ')}]`;
  return {
    ...classified,
    items: classified.items.map((item) =>
      item.kind === 'ok' ? item : { ...item, reason: item.reason + more },
    ),
  };
}

/** `campaignBudgetError: NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT` for each error of a GoogleAdsFailure. */
function adsErrorCodes(body: unknown): string[] {
  const parsed = AdsFailure.safeParse(body);
  if (!parsed.success) return [];
  return parsed.data.error.details.flatMap((detail) =>
    (detail.errors ?? []).flatMap((error) =>
      Object.entries(error.errorCode ?? {}).map(([kind, code]) => `${kind}: ${String(code)}`),
    ),
  );
}
