import { expect } from 'vitest';
import { basicAuth, WRITE_KEYS } from './relay-process.js';

/** Posts one batch with the web source's write key, expects it accepted, and waits until it is processed. */
export async function sendBatchProcessed(
  relay: { url: string; whenIdle(): Promise<void> },
  batch: object[],
): Promise<void> {
  const res = await fetch(`${relay.url}/v1/batch`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basicAuth(WRITE_KEYS.web) },
    body: JSON.stringify({ batch }),
  });
  expect(res.status).toBe(200);
  await relay.whenIdle();
}
