import { createHash } from 'node:crypto';
import { computeReachSignature, validateReachSignature } from '../../src/providers/reach/signature';

// The official test vectors (reach.md, "Signature").
const KEY = '12345';
const URL_ = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const PARAMS = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+14158675309',
  Digits: '1234',
  From: '+14158675309',
  To: '+18005551212',
};
const BODY = '{"property": "value", "boolean": true}';
const BODY_HASH = '0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620';

describe('X-Reach-Signature', () => {
  test('the URL as is', () => {
    expect(computeReachSignature(KEY, URL_, PARAMS)).toBe('RSOYDt4T1cUTdK1PDd93/VVr8B8=');
    expect(
      validateReachSignature({ apiKey: KEY, signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', url: URL_, params: PARAMS }),
    ).toBe(true);
  });

  test('the URL with :443 inserted signs differently, and both forms validate', () => {
    const with443 = 'https://mycompany.com:443/myapp.php?foo=1&bar=2';
    expect(computeReachSignature(KEY, with443, PARAMS)).toBe('kvajT1Ptam85bY51eRf/AJRuM3w=');
    expect(
      validateReachSignature({ apiKey: KEY, signature: 'kvajT1Ptam85bY51eRf/AJRuM3w=', url: URL_, params: PARAMS }),
    ).toBe(true);
    expect(
      validateReachSignature({ apiKey: KEY, signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', url: with443, params: PARAMS }),
    ).toBe(true);
  });

  test('a non-standard port is stripped before signing', () => {
    const url = 'https://mycompany.com:1234/myapp.php?foo=1&bar=2';
    expect(
      validateReachSignature({ apiKey: KEY, signature: 'RSOYDt4T1cUTdK1PDd93/VVr8B8=', url, params: PARAMS }),
    ).toBe(true);
  });

  test('multi-valued parameters, in either order', () => {
    const a = { 'MessagingBinding.Address': ['+1325xxxxxxx', '+1415xxxxxxx'] };
    const b = { 'MessagingBinding.Address': ['+1415xxxxxxx', '+1325xxxxxxx'] };
    expect(computeReachSignature(KEY, URL_, a)).toBe('83O6e2vORAoJHUNzJjDWN1jz+BA=');
    expect(computeReachSignature(KEY, URL_, b)).toBe('83O6e2vORAoJHUNzJjDWN1jz+BA=');
  });

  test('a JSON body is covered by bodySHA256 and signed on the URL alone', () => {
    expect(createHash('sha256').update(BODY).digest('hex')).toBe(BODY_HASH);
    const url = `${URL_}&bodySHA256=${BODY_HASH}`;
    expect(computeReachSignature(KEY, url)).toBe('a9nBmqA0ju/hNViExpshrM61xv4=');
    expect(validateReachSignature({ apiKey: KEY, signature: 'a9nBmqA0ju/hNViExpshrM61xv4=', url, rawBody: BODY })).toBe(
      true,
    );
    expect(
      validateReachSignature({
        apiKey: KEY,
        signature: 'a9nBmqA0ju/hNViExpshrM61xv4=',
        url,
        rawBody: BODY.replace('true', 'false'),
      }),
    ).toBe(false);
  });

  test('tampered parameters, URL or key fail', () => {
    const sig = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';
    expect(
      validateReachSignature({ apiKey: KEY, signature: sig, url: URL_, params: { ...PARAMS, Digits: '1235' } }),
    ).toBe(false);
    expect(
      validateReachSignature({ apiKey: KEY, signature: sig, url: URL_.replace('foo=1', 'foo=2'), params: PARAMS }),
    ).toBe(false);
    expect(validateReachSignature({ apiKey: '54321', signature: sig, url: URL_, params: PARAMS })).toBe(false);
    expect(validateReachSignature({ apiKey: KEY, signature: '', url: URL_, params: PARAMS })).toBe(false);
  });
});
