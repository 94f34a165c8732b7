import { createHash } from 'node:crypto';
import { computeReachSignature, validateReachSignature } from '../../src/providers/reach/signature';

// The official library's test vectors (reach.md, "Signature").
const apiKey = '12345';
const url = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const params = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+14158675309',
  Digits: '1234',
  From: '+14158675309',
  To: '+18005551212',
};
const SIGNED_AS_IS = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';
const SIGNED_WITH_443 = 'kvajT1Ptam85bY51eRf/AJRuM3w=';
const json = '{"property": "value", "boolean": true}';
const jsonHash = '0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620';
const jsonUrl = `${url}&bodySHA256=${jsonHash}`;
const SIGNED_JSON = 'a9nBmqA0ju/hNViExpshrM61xv4=';

describe('X-Reach-Signature: the official test vectors', () => {
  test('the URL as is', () => {
    expect(computeReachSignature(apiKey, url, params)).toBe(SIGNED_AS_IS);
    expect(validateReachSignature({ apiKey, signature: SIGNED_AS_IS, url, params })).toBe(true);
  });

  test('the URL with :443 inserted: its own signature, accepted for the URL without a port too', () => {
    const with443 = 'https://mycompany.com:443/myapp.php?foo=1&bar=2';
    expect(computeReachSignature(apiKey, with443, params)).toBe(SIGNED_WITH_443);
    expect(validateReachSignature({ apiKey, signature: SIGNED_WITH_443, url, params })).toBe(true);
    expect(validateReachSignature({ apiKey, signature: SIGNED_WITH_443, url: with443, params })).toBe(true);
    expect(validateReachSignature({ apiKey, signature: SIGNED_AS_IS, url: with443, params })).toBe(true);
  });

  test('the URL with .com:1234: the port is stripped before signing', () => {
    const with1234 = 'https://mycompany.com:1234/myapp.php?foo=1&bar=2';
    expect(validateReachSignature({ apiKey, signature: SIGNED_AS_IS, url: with1234, params })).toBe(true);
  });

  test('a multi-valued parameter, its values in either order', () => {
    const signature = '83O6e2vORAoJHUNzJjDWN1jz+BA=';
    for (const values of [
      ['+1325xxxxxxx', '+1415xxxxxxx'],
      ['+1415xxxxxxx', '+1325xxxxxxx'],
      ['+1415xxxxxxx', '+1325xxxxxxx', '+1415xxxxxxx'], // duplicates count once
    ]) {
      const multi = { 'MessagingBinding.Address': values };
      expect(computeReachSignature(apiKey, url, multi)).toBe(signature);
      expect(validateReachSignature({ apiKey, signature, url, params: multi })).toBe(true);
    }
  });

  test("a JSON body's sha256", () => {
    expect(createHash('sha256').update(json, 'utf8').digest('hex')).toBe(jsonHash);
  });

  test('the URL with &bodySHA256=<hash>, no parameters', () => {
    expect(computeReachSignature(apiKey, jsonUrl)).toBe(SIGNED_JSON);
    expect(validateReachSignature({ apiKey, signature: SIGNED_JSON, url: jsonUrl, rawBody: json })).toBe(true);
  });
});

describe('X-Reach-Signature: tampering fails', () => {
  test('a changed, added or missing parameter', () => {
    const check = (p: Record<string, string>) =>
      validateReachSignature({ apiKey, signature: SIGNED_AS_IS, url, params: p });
    expect(check({ ...params, Digits: '1235' })).toBe(false);
    expect(check({ ...params, status: 'delivered' })).toBe(false);
    const { Digits: _dropped, ...fewer } = params;
    expect(check(fewer)).toBe(false);
  });

  test('a changed URL: query, path, host or scheme', () => {
    for (const forged of [
      url.replace('foo=1', 'foo=2'),
      url.replace('myapp.php', 'other.php'),
      url.replace('mycompany.com', 'evil.example'),
      url.replace('https:', 'http:'),
    ]) {
      expect(validateReachSignature({ apiKey, signature: SIGNED_AS_IS, url: forged, params })).toBe(false);
    }
  });

  test('another key, an empty or a truncated signature', () => {
    expect(validateReachSignature({ apiKey: '54321', signature: SIGNED_AS_IS, url, params })).toBe(false);
    expect(validateReachSignature({ apiKey, signature: '', url, params })).toBe(false);
    expect(validateReachSignature({ apiKey, signature: SIGNED_AS_IS.slice(0, -1), url, params })).toBe(false);
  });

  test('a JSON body that does not match its bodySHA256, or a hash that was changed', () => {
    const tamperedBody = json.replace('true', 'false');
    expect(validateReachSignature({ apiKey, signature: SIGNED_JSON, url: jsonUrl, rawBody: tamperedBody })).toBe(false);
    expect(validateReachSignature({ apiKey, signature: SIGNED_JSON, url: jsonUrl })).toBe(false);
    const otherHash = createHash('sha256').update(tamperedBody, 'utf8').digest('hex');
    const rehashed = jsonUrl.replace(jsonHash, otherHash);
    expect(validateReachSignature({ apiKey, signature: SIGNED_JSON, url: rehashed, rawBody: tamperedBody })).toBe(
      false,
    );
  });
});

describe('X-Reach-Signature: the URL is signed as given', () => {
  test('http gets :80 inserted, like https gets :443', () => {
    const plain = 'http://hooks.example.com/reach?wf=order-1';
    const signedWith80 = computeReachSignature(apiKey, 'http://hooks.example.com:80/reach?wf=order-1', params);
    expect(validateReachSignature({ apiKey, signature: signedWith80, url: plain, params })).toBe(true);
  });

  test('the query is not re-encoded: a signature over other bytes does not validate', () => {
    const raw = 'https://hooks.example.com/reach?wf=order 1';
    const signature = computeReachSignature(apiKey, raw, params);
    expect(validateReachSignature({ apiKey, signature, url: raw, params })).toBe(true);
    const reEncoded = computeReachSignature(apiKey, 'https://hooks.example.com/reach?wf=order%201', params);
    expect(validateReachSignature({ apiKey, signature: reEncoded, url: raw, params })).toBe(false);
  });
});
