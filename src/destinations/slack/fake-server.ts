import type { NextFunction, Request, Response } from 'express';
import { startFakeKit, type FakeServer, type RateLimit } from '../fake-kit.js';

/**
 * A local Slack incoming webhook, answering as Slack documents
 * (https://api.slack.com/messaging/webhooks#handling_errors): `200 ok` as text, errors as their name
 * in plain text; `no_service` for an unknown webhook, `invalid_token` for a wrong token part,
 * `invalid_payload` for a body that is not JSON, `no_text` without `text` or `blocks`,
 * `invalid_blocks` for blocks Block Kit refuses; and one message per second, 429 with `Retry-After`
 * beyond (stricter than Slack, which allows short bursts).
 */

export const FAKE_SLACK_PATH = '/services/T000/B000/XXXX';

export interface FakeSlackOptions {
  port?: number;
  /** The one webhook path this fake posts for. */
  path?: string;
  /** Default 1 message per 1,000 ms. */
  rateLimit?: RateLimit;
  seed?: number;
}

export interface PostedMessage {
  text: string | undefined;
  blocks: unknown[];
  /** The text a person reads: the blocks' texts, else the fallback text. */
  readable: string;
  at: number;
}

export interface FakeSlack extends FakeServer {
  messages(): PostedMessage[];
  /** Answer every valid message with this status and error name instead of `200 ok`. */
  answerWith(answer: { status: number; error: string } | undefined): void;
}

const MAX_BLOCKS = 50;
const TEXT_LIMITS: Record<string, number> = { header: 150, section: 3000, context: 3000 };

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const hookPath = options.path ?? FAKE_SLACK_PATH;
  const posted: PostedMessage[] = [];
  let forced: { status: number; error: string } | undefined;
  const answer = (res: Response, status: number, text: string) =>
    void res.status(status).type('text/html').send(text);

  const post = (req: Request, res: Response) => {
    const service = /^\/services\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(req.path);
    const known = /^\/services\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(hookPath);
    if (!service || !known || service[1] !== known[1] || service[2] !== known[2])
      return answer(res, 404, 'no_service');
    if (service[3] !== known[3]) return answer(res, 403, 'invalid_token');
    const body = req.body as unknown;
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      return answer(res, 400, 'invalid_payload');
    const { text, blocks } = body as { text?: unknown; blocks?: unknown };
    const hasText = typeof text === 'string' && text.trim() !== '';
    const hasBlocks = Array.isArray(blocks) && blocks.length > 0;
    if (!hasText && !hasBlocks) return answer(res, 400, 'no_text');
    if (blocks !== undefined && !validBlocks(blocks)) return answer(res, 400, 'invalid_blocks');
    if (forced !== undefined) return answer(res, forced.status, forced.error);
    const shown = hasBlocks ? (blocks as unknown[]).map(blockText).filter((line) => line !== '') : [];
    posted.push({
      text: typeof text === 'string' ? text : undefined,
      blocks: hasBlocks ? (blocks as unknown[]) : [],
      readable: shown.length > 0 ? shown.join('\n') : String(text),
      at: Date.now(),
    });
    answer(res, 200, 'ok');
  };

  const kit = await startFakeKit({
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    rateLimit: options.rateLimit ?? { requests: 1, windowMs: 1_000 },
    throttled: (res, retryAfterMs) => {
      res.setHeader('Retry-After', String(Math.ceil(retryAfterMs / 1000)));
      answer(res, 429, 'rate_limited');
    },
    routes: (app) => {
      app.post(/^\/services\//, post);
      app.use((_req: Request, res: Response) => answer(res, 404, 'no_service'));
      // A body that is not JSON fails in the kit's parser, before any route.
      app.use((_error: unknown, _req: Request, res: Response, _next: NextFunction) =>
        answer(res, 400, 'invalid_payload'),
      );
    },
  });

  return {
    ...kit,
    reset: () => {
      kit.reset();
      posted.length = 0;
      forced = undefined;
    },
    messages: () => posted.map((message) => ({ ...message })),
    answerWith: (next) => {
      forced = next;
    },
  };
}

/** At most 50 blocks, each with a type, and texts within Block Kit's limits. */
function validBlocks(blocks: unknown): boolean {
  if (!Array.isArray(blocks) || blocks.length > MAX_BLOCKS) return false;
  return blocks.every((block: unknown) => {
    if (block === null || typeof block !== 'object') return false;
    const { type, text } = block as { type?: unknown; text?: unknown };
    if (typeof type !== 'string') return false;
    const limit = TEXT_LIMITS[type];
    if (limit === undefined || text === undefined) return true;
    const inner = (text as { text?: unknown } | null)?.text;
    return typeof inner === 'string' && inner.length > 0 && inner.length <= limit;
  });
}

function blockText(block: unknown): string {
  const inner = (block as { text?: { text?: unknown } } | null)?.text?.text;
  return typeof inner === 'string' ? inner : '';
}
