import axios, { type AxiosInstance } from 'axios';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { BuiltRequest, HttpResult, Transport } from './destination.js';

/** One keep-alive HTTP client per destination, so a slow destination never holds another's sockets. */
export function createHttpClient(timeoutMs: number): AxiosInstance {
  return axios.create({
    timeout: timeoutMs,
    httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 16 }),
    httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 16 }),
    maxRedirects: 0,
    validateStatus: () => true,
    transitional: { clarifyTimeoutError: true },
  });
}

/** Sends a built request; every answer (any status), timeout or network failure is a value. */
export async function send(client: AxiosInstance, request: BuiltRequest): Promise<HttpResult> {
  try {
    const response = await client.request({
      method: request.method,
      url: request.url,
      headers: request.headers,
      data: request.body,
    });
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined && value !== null) headers[name.toLowerCase()] = String(value);
    }
    return { kind: 'response', status: response.status, headers, body: response.data as unknown };
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ETIMEDOUT' || code === 'ECONNABORTED') return { kind: 'timeout' };
    return { kind: 'network', message: code ?? (error as Error).message };
  }
}

/** Plain HTTP through a keep-alive client: the transport of every destination without an SDK. */
export function httpTransport(client: AxiosInstance): Transport {
  return {
    send: (request) => send(client, request),
    close: async () => {
      const agents = [client.defaults.httpAgent, client.defaults.httpsAgent] as (
        { destroy?: () => void } | undefined
      )[];
      for (const agent of agents) agent?.destroy?.();
    },
  };
}
