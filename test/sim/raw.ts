import { createHmac } from 'node:crypto';
import { request } from 'undici';
import { SIM_CREDENTIALS, type Simulator } from '../../src/sim/server';

/**
 * Raw HTTP against the simulator, as the specs describe the APIs (never through the project's
 * provider clients: the simulator is held to the spec, not to the client).
 */

export interface RawAnswer {
  status: number;
  json: unknown;
}

async function call(
  sim: Simulator,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<RawAnswer> {
  const res = await request(`${sim.url}${path}`, { method: method as 'GET', headers, body });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? (JSON.parse(text) as unknown) : undefined };
}

// ---- SMSBAT (smsbat.md) ----------------------------------------------------------------------------

export const SMSBAT_SEND = '/api/CascadeMessage/send_message/async';
const SMSBAT_KEY = { 'X-Authorization-Key': SIM_CREDENTIALS.smsbat.apiKey };

export function smsbatMessage(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `tx-${Math.random().toString(36).slice(2, 10)}`,
    fromName: 'YourBank',
    toPhone: '+380501234567',
    messageType: 'transaction',
    text: 'Payment of $100 was successful',
    ...over,
  };
}

export function smsbatSend(sim: Simulator, messages: Record<string, unknown>[]): Promise<RawAnswer> {
  return call(
    sim,
    'POST',
    SMSBAT_SEND,
    { 'Content-Type': 'application/json', ...SMSBAT_KEY },
    JSON.stringify(messages),
  );
}

/** Sends one message and answers its messageId (the send must succeed). */
export async function smsbatSendOne(sim: Simulator, over: Record<string, unknown> = {}): Promise<string> {
  const sent = await smsbatSend(sim, [smsbatMessage(over)]);
  if (sent.status !== 200) throw new Error(`send answered ${sent.status}: ${JSON.stringify(sent.json)}`);
  return (sent.json as { messageId: string }[])[0].messageId;
}

export async function smsbatStatus(sim: Simulator, messageId: string): Promise<Record<string, unknown>> {
  const answer = await call(sim, 'GET', `/bat/message/${messageId}`, SMSBAT_KEY);
  if (answer.status !== 200) throw new Error(`status answered ${answer.status}`);
  return answer.json as Record<string, unknown>;
}

// ---- Reach (reach.md) ------------------------------------------------------------------------------

const REACH_AUTH = { ApiUser: SIM_CREDENTIALS.reach.apiUser, ApiKey: SIM_CREDENTIALS.reach.apiKey };

export function reachPost(sim: Simulator, operation: string, fields: Record<string, string> | string) {
  const body = typeof fields === 'string' ? fields : new URLSearchParams(fields).toString();
  return call(
    sim,
    'POST',
    `/rest/messaging/v1/${operation}`,
    { 'content-type': 'application/x-www-form-urlencoded', ...REACH_AUTH },
    body,
  );
}

export function reachGet(sim: Simulator, operation: string, query: Record<string, string>) {
  return call(sim, 'GET', `/rest/messaging/v1/${operation}?${new URLSearchParams(query)}`, REACH_AUTH);
}

/**
 * `X-Reach-Signature` computed here from reach.md "Signature" alone: HMAC-SHA1 with the API key
 * over the URL followed by every parameter as name + value, names sorted (several values:
 * distinct ones, sorted), base64.
 */
export function signatureBySpec(apiKey: string, url: string, params: Record<string, string | string[]> = {}) {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const values = ([] as string[]).concat(params[name]);
    for (const value of [...new Set(values)].sort()) data += name + value;
  }
  return createHmac('sha1', apiKey).update(Buffer.from(data, 'utf8')).digest('base64');
}

// ---- control API ---------------------------------------------------------------------------------

export function control(sim: Simulator, path: string, body?: unknown): Promise<RawAnswer> {
  return call(sim, 'POST', `/_sim/${path}`, { 'content-type': 'application/json' }, JSON.stringify(body ?? {}));
}
