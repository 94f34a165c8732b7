import { createHash, createHmac } from 'node:crypto';
import { secretsEqual } from '../../security/constant-time';

/** A callback's form parameters; a parameter sent several times has several values. */
export type ReachSignatureParams = Record<string, string | string[]>;

/**
 * `X-Reach-Signature` (reach.md, "Signature"): HMAC-SHA1 keyed with the account's API key over the
 * callback URL exactly as given to Reach, followed by every parameter as `name + value`, sorted by
 * name (several values: de-duplicated, sorted, one `name + value` each), base64-encoded.
 */
export function computeReachSignature(apiKey: string, url: string, params: ReachSignatureParams = {}): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name];
    for (const v of Array.isArray(value) ? [...new Set(value)].sort() : [value]) data += name + v;
  }
  return createHmac('sha1', apiKey).update(data, 'utf8').digest('base64');
}

export interface ReachSignatureCheck {
  apiKey: string;
  /** The `X-Reach-Signature` header. */
  signature: string;
  /** The full callback URL as given to Reach, query string included. */
  url: string;
  /** The POSTed form parameters. */
  params?: ReachSignatureParams;
  /** The raw body of a JSON callback, whose URL carries `bodySHA256`. */
  rawBody?: string;
}

/**
 * Whether a callback really comes from Reach. The sender is inconsistent about ports, so the URL
 * is tried with the scheme's standard port inserted (when it names none) and with no port at all
 * (step 4). A JSON body is covered by the URL's `bodySHA256`, which must match it, and the
 * signature is then over the URL alone (step 5).
 */
export function validateReachSignature(check: ReachSignatureCheck): boolean {
  let params = check.params ?? {};
  const bodyHash = queryParam(check.url, 'bodySHA256');
  if (bodyHash !== undefined) {
    const actual = createHash('sha256')
      .update(check.rawBody ?? '', 'utf8')
      .digest('hex');
    if (!secretsEqual(actual, bodyHash)) return false;
    params = {};
  }
  const matches = portVariants(check.url).map((url) =>
    secretsEqual(computeReachSignature(check.apiKey, url, params), check.signature),
  );
  return matches.some(Boolean);
}

// scheme, "://" and user info, host (an IPv6 literal keeps its brackets), port, then the rest untouched.
const URL_PARTS = /^([A-Za-z][A-Za-z\d+.-]*)(:\/\/(?:[^/?#@]*@)?)(\[[^\]]*\]|[^/?#:]*)(?::(\d*))?([/?#].*)?$/s;
const STANDARD_PORTS: Record<string, string> = { http: '80', https: '443' };

/**
 * The URL with its port (the standard one inserted when it names none) and without any port. The
 * URL is cut as text, never re-serialised, so its path and query stay byte for byte as given.
 */
function portVariants(url: string): [string, string] {
  const parts = URL_PARTS.exec(url);
  if (!parts) return [url, url];
  const [, scheme, authority, host, port, rest = ''] = parts;
  const standard = STANDARD_PORTS[scheme.toLowerCase()];
  const withPort = port || !standard ? url : `${scheme}${authority}${host}:${standard}${rest}`;
  return [withPort, `${scheme}${authority}${host}${rest}`];
}

function queryParam(url: string, name: string): string | undefined {
  const query = url.split('#')[0].split('?').slice(1).join('?');
  return new URLSearchParams(query).get(name) ?? undefined;
}
