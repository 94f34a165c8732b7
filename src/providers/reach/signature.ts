import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type ReachParams = Record<string, string | string[]>;

/**
 * `X-Reach-Signature` (reach.md, "Signature"): HMAC-SHA1 with the account's API key over the
 * full callback URL followed by every POSTed parameter as `name + value`, sorted by name (a
 * multi-valued parameter: values de-duplicated and sorted), base64-encoded.
 */
export function computeReachSignature(apiKey: string, url: string, params: ReachParams = {}): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name];
    const values = Array.isArray(value) ? [...new Set(value)].sort() : [value];
    for (const v of values) data += name + v;
  }
  return createHmac('sha1', apiKey).update(data, 'utf8').digest('base64');
}

export interface ReachSignatureCheck {
  apiKey: string;
  signature: string;
  url: string;
  /** Form parameters of the callback. */
  params?: ReachParams;
  /** Raw body of a JSON callback (its URL carries `bodySHA256`). */
  rawBody?: string;
}

/**
 * Validates a callback's signature. The sender is inconsistent about ports, so the URL is tried
 * with its port (the scheme's standard one inserted when it names none) and with no port at all. JSON bodies are covered by
 * the `bodySHA256` query parameter, which must match the body, and are signed on the URL alone.
 */
export function validateReachSignature(check: ReachSignatureCheck): boolean {
  let parsed: URL;
  try {
    parsed = new URL(check.url);
  } catch {
    return false;
  }
  const bodyHash = parsed.searchParams.get('bodySHA256');
  let params = check.params ?? {};
  if (bodyHash !== null) {
    const actual = createHash('sha256')
      .update(check.rawBody ?? '', 'utf8')
      .digest('hex');
    if (!safeEqual(actual, bodyHash)) return false;
    params = {};
  }
  return [withStandardPort(parsed), withoutPort(parsed)].some((url) =>
    safeEqual(computeReachSignature(check.apiKey, url, params), check.signature),
  );
}

function withoutPort(url: URL): string {
  return formatUrl(url, '');
}

/** The URL's own port if it names one, else the scheme's standard port. */
function withStandardPort(url: URL): string {
  const standard = url.protocol === 'https:' ? '443' : url.protocol === 'http:' ? '80' : '';
  return formatUrl(url, url.port || standard);
}

/** Rebuilds the URL as given (user info, path, query, fragment untouched) with a chosen port. */
function formatUrl(url: URL, port: string): string {
  const auth = url.username ? `${url.username}${url.password ? `:${url.password}` : ''}@` : '';
  return `${url.protocol}//${auth}${url.hostname}${port ? `:${port}` : ''}${url.pathname}${url.search}${url.hash}`;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
