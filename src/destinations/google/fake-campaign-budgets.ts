import type { Request, Response } from 'express';

/**
 * The fake's Google Ads `CampaignBudgetService.MutateCampaignBudgets` for the budget push (README.md
 * "Budget push"): `POST /{version}/customers/{customer_id}/campaignBudgets:mutate`, each operation an
 * `update` of `amountMicros` (a whole number of micros, a multiple of 10,000: one cent) under
 * `updateMask: amount_micros`. A bad body is answered 400 INVALID_ARGUMENT with a `GoogleAdsFailure`
 * naming the error; nothing of the request is applied then.
 * https://developers.google.com/google-ads/api/reference/rpc/latest/MutateCampaignBudgetsRequest
 */

export const CAMPAIGN_BUDGETS_PATH = /^customers\/(\d+)\/campaignBudgets:mutate$/;

/** The smallest currency unit in micros: amounts are multiples of it. */
const MICROS_PER_CENT = 10_000n;

interface AdsError {
  errorCode: Record<string, string>;
  message: string;
}

type RpcError = (res: Response, code: number, status: string, message: string, details?: object[]) => void;

/**
 * Handles one mutate for `customerId`, keeping each budget's amount (micros, as text) under
 * `customers/{customer_id}/campaignBudgets/{id}` in `budgets`.
 */
export function mutateCampaignBudgets(
  req: Request,
  res: Response,
  customerId: string,
  budgets: Map<string, string>,
  rpcError: RpcError,
): void {
  const checked = checkOperations(req.body, customerId);
  if ('errors' in checked) {
    return rpcError(res, 400, 'INVALID_ARGUMENT', 'Request contains an invalid argument.', [
      {
        '@type': 'type.googleapis.com/google.ads.googleads.v26.errors.GoogleAdsFailure',
        errors: checked.errors,
        requestId: 'fake-request-id',
      },
    ]);
  }
  for (const { resourceName, micros } of checked.updates) budgets.set(resourceName, micros);
  res.status(200).json({ results: checked.updates.map(({ resourceName }) => ({ resourceName })) });
}

function checkOperations(
  body: unknown,
  customerId: string,
): { updates: { resourceName: string; micros: string }[] } | { errors: AdsError[] } {
  const operations = isObject(body) ? body.operations : undefined;
  if (!Array.isArray(operations) || operations.length === 0) {
    return fail('requestError', 'OPERATIONS_REQUIRED', 'At least one operation is required.');
  }
  const updates: { resourceName: string; micros: string }[] = [];
  for (const operation of operations) {
    const update = isObject(operation) ? operation.update : undefined;
    if (!isObject(update)) return fail('mutateError', 'OPERATION_NOT_SUPPORTED', 'Only updates are faked.');
    const resourceName = update.resourceName;
    const pattern = new RegExp(`^customers/${customerId}/campaignBudgets/\\d+$`);
    if (typeof resourceName !== 'string' || !pattern.test(resourceName)) {
      return fail('requestError', 'RESOURCE_NAME_MALFORMED', 'Resource name is malformed.');
    }
    const mask = isObject(operation) ? operation.updateMask : undefined;
    const fields = typeof mask === 'string' ? mask.split(',').map((field) => field.trim()) : [];
    if (!fields.includes('amount_micros') && !fields.includes('amountMicros')) {
      return fail('fieldMaskError', 'FIELD_MASK_MISSING', 'The field mask must name amount_micros.');
    }
    const micros = update.amountMicros;
    const text = typeof micros === 'number' && Number.isSafeInteger(micros) ? String(micros) : micros;
    if (typeof text !== 'string' || !/^\d+$/.test(text)) {
      return fail('fieldError', 'REQUIRED', 'amountMicros must be a whole number of micros.');
    }
    if (BigInt(text) % MICROS_PER_CENT !== 0n) {
      return fail(
        'campaignBudgetError',
        'NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT',
        'The amount must be a multiple of the currency unit.',
      );
    }
    updates.push({ resourceName, micros: text });
  }
  return { updates };
}

function fail(kind: string, code: string, message: string): { errors: AdsError[] } {
  return { errors: [{ errorCode: { [kind]: code }, message }] };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
