import { createHmac } from 'node:crypto';

/**
 * OTP codes derived, never stored: code = digits of HMAC-SHA256(secret, workflow id + run id).
 * Any activity of the flow can re-derive the code to send it; the workflow only ever holds a
 * sealed verifier (a keyed digest of the code), which is useless without the worker's secret.
 * The run id makes every execution's code different, even when a workflow id is reused.
 */
export class OtpCodes {
  private readonly key: Buffer;

  constructor(secret: string | Buffer) {
    this.key = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
    if (this.key.length < 32) throw new Error('the OTP secret must be at least 32 bytes');
  }

  /**
   * The code of one flow execution: `length` uniformly distributed decimal digits. `runId` is the
   * run (flows before 0.3) or the flow's code reference (since; see `codeFromRef`).
   */
  code(workflowId: string, runId: string, length: number): string {
    return this.digits(`otp-code|${workflowId}|${runId}`, length);
  }

  /**
   * The code of a flow that keeps a random reference in its history (since 0.3): a reset to any
   * event finds the same reference, hence the same code, as the verifier kept beside it.
   */
  codeFromRef(workflowId: string, ref: string, length: number): string {
    return this.digits(`otp-code-ref|${workflowId}|${ref}`, length);
  }

  private digits(label: string, length: number): string {
    if (!Number.isInteger(length) || length < 4 || length > 10) throw new RangeError('code length must be 4–10');
    let digits = '';
    // Rejection sampling over HMAC bytes keeps every digit uniform (bytes ≥ 250 would bias 0–5).
    for (let block = 0; digits.length < length; block++) {
      const mac = createHmac('sha256', this.key).update(`${label}|${block}`).digest();
      for (const byte of mac) {
        if (byte < 250) digits += String(byte % 10);
        if (digits.length === length) break;
      }
    }
    return digits;
  }

  /** The sealed form of a code: what the client sends to `verify` and what the workflow compares. */
  seal(workflowId: string, code: string): string {
    return sealWith(this.key, workflowId, code);
  }
}

/** Seals a user-typed code for the `verify` update (used by the typed client). */
export function sealOtpCode(secret: string | Buffer, workflowId: string, code: string): string {
  return sealWith(typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret, workflowId, code);
}

function sealWith(key: Buffer, workflowId: string, code: string): string {
  const mac = createHmac('sha256', key).update(`otp-seal|${workflowId}|${code}`).digest('base64url');
  return `otp1.${code.length}.${mac}`;
}
