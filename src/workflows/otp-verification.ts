import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';
import { OTP_DEFAULTS } from '../shared/defaults';
import { sha256Hex } from '../shared/sha256';
import type { CascadeActivities, PrefixedActivities } from '../activities/types';
import { toMs } from '../shared/durations';
import { cancelSignal, ErrorTypes, resendUpdate, SEALED_CODE, stateQuery, verifyUpdate } from '../shared/messages';
import type { OtpInput } from '../shared/schemas';
import { type OtpResult, type OtpState, type OtpStatus, type VerifyResult } from '../shared/types';
import { admission } from './admission';
import { cancelAtProviders, FallbackChain, type ChainOutcome, type FlowControl } from './fallback-chain';
import { resolveParams } from './input';
import { recordOtpCodeSent, recordOtpCompleted, recordOtpStarted } from './metrics';
import { LOCAL_CHECK, OTP_PREPARE } from './policies';
import { startDeadline } from './timers';
import { formatDuration, showDetails, showStatus } from './visibility';

const { prepareOtpVerifier } = proxyActivities<CascadeActivities>(OTP_PREPARE);
const local = proxyLocalActivities<CascadeActivities>(LOCAL_CHECK);
const prefixed = proxyLocalActivities<PrefixedActivities>(LOCAL_CHECK);

/**
 * Sends a one-time code through the fallback chain and verifies it. The workflow never holds the
 * code: an activity derives it from a worker-side secret when it sends, and the workflow keeps
 * only a keyed digest (the verifier) to compare sealed codes against.
 */
export async function otpVerification(input: OtpInput): Promise<OtpResult> {
  // Answered while the worker checks the input (a client may ask at once): nothing is sent yet.
  setHandler(stateQuery, (): OtpState => {
    const attempts = input.maxAttempts ?? OTP_DEFAULTS.maxAttempts;
    const sends = input.maxSends ?? OTP_DEFAULTS.maxSends;
    return {
      status: 'pending',
      expiresAt: 0,
      verifyAttempts: 0,
      attemptsLeft: attempts,
      sends: 0,
      sendsLeft: sends,
      nextResendAt: 0,
      delivery: { phase: 'sending', attempts: [] },
    };
  });
  // Registered before the first await: the update of an Update-with-Start finds its handler.
  const limits = admission(input);
  const { params: p, v2, v3 } = await resolveParams('otpVerification', input);
  const flow: FlowControl = { canceled: false, expired: false };
  const chain = new FallbackChain(flow, { local: v2, v3 });
  const codeTtlMs = toMs(p.codeTtl);
  const cooldownMs = toMs(p.resendCooldown);
  const expiresAt = Date.now() + codeTtlMs;
  flow.deadline = expiresAt;

  let status: OtpStatus = 'pending';
  let verifier: string | undefined;
  /** The reference the code derives from (since 0.3), kept in history by the prepare step. */
  let codeRef: string | undefined;
  let verifyAttempts = 0;
  let sends = 0;
  let lastSendAt = 0;
  const attemptsLeft = () => Math.max(0, p.maxAttempts - verifyAttempts);
  const nextResendAt = () => lastSendAt + cooldownMs;
  const end = (s: OtpStatus) => {
    if (status === 'pending') status = s;
  };

  const expiry = startDeadline(codeTtlMs, `code expires after ${formatDuration(codeTtlMs)}`, () => {
    flow.expired = true;
    end('expired');
  });

  let lastOutcome: ChainOutcome | undefined;
  let chainError: unknown;
  const send = (startStep: number) => {
    const sendNo = ++sends;
    lastSendAt = Date.now();
    recordOtpCodeSent(p.recipient, sendNo > 1);
    chain
      .run({
        sendNo,
        steps: p.steps,
        startStep,
        recipient: p.recipient,
        content: {
          kind: 'otp',
          template: p.template,
          codeLength: p.codeLength,
          appName: p.appName,
          ...(codeRef ? { codeRef } : {}),
        },
        // A resend supersedes this run; an ended flow stops it.
        stopped: () => status !== 'pending' || sends !== sendNo,
      })
      .then(
        (outcome) => {
          if (sends === sendNo) lastOutcome = outcome;
        },
        (err) => {
          // Not left unhandled: that would fail every workflow task and stall the flow.
          if (isCancellation(err)) end('canceled');
          else chainError = err;
        },
      );
  };

  setHandler(cancelSignal, () => {
    flow.canceled = true;
    end('canceled');
  });

  setHandler(stateQuery, (): OtpState => ({
    status,
    expiresAt,
    verifyAttempts,
    attemptsLeft: attemptsLeft(),
    sends,
    sendsLeft: p.maxSends - sends,
    nextResendAt: nextResendAt(),
    delivery: chain.progress(lastOutcome === 'stopped' ? undefined : lastOutcome),
  }));

  setHandler(
    verifyUpdate,
    async ({ code }): Promise<VerifyResult> => {
      await condition(() => verifier !== undefined || status !== 'pending');
      const matches = verifier !== undefined && constantTimeEqual(sha256Hex(code), verifier);
      // An ended verification checks no more codes: it says how it ended. Since 0.3 a code is
      // single-use: after the approving verify every verify is `expired` (a retry of that same call,
      // by its update id, gets its recorded answer from the server). Before, `approved` was repeated
      // for the approved code (and only for it).
      if (status !== 'pending') {
        const used = status === 'approved' && (v3 || !matches);
        return { status: used ? 'expired' : status, attemptsLeft: 0 };
      }
      verifyAttempts++;
      if (matches) end('approved');
      else if (verifyAttempts >= p.maxAttempts) end('too_many_attempts');
      return { status: status === 'pending' ? 'incorrect' : status, attemptsLeft: attemptsLeft() } as VerifyResult;
    },
    {
      // Malformed input is refused here, before it reaches history and without spending an attempt.
      validator: (arg) => {
        const match = typeof arg?.code === 'string' ? SEALED_CODE.exec(arg.code) : null;
        if (!match) {
          throw ApplicationFailure.create({
            type: ErrorTypes.invalidCode,
            message: 'code must be sealed with sealOtpCode() (the plaintext code never enters workflow history)',
            nonRetryable: true,
          });
        }
        if (Number(match[1]) !== p.codeLength) {
          throw ApplicationFailure.create({
            type: ErrorTypes.invalidCode,
            message: `code must have ${p.codeLength} digits`,
            nonRetryable: true,
          });
        }
      },
    },
  );

  setHandler(
    resendUpdate,
    (options) => {
      const current = chain.currentStep ?? 0;
      const step = options?.nextStep ? Math.min(current + 1, p.steps.length - 1) : current;
      send(step);
      return { sends, sendsLeft: p.maxSends - sends, step, nextResendAt: nextResendAt() };
    },
    {
      validator: (_options) => {
        const refuse = (reason: string) =>
          ApplicationFailure.create({ type: ErrorTypes.resendRefused, message: reason, nonRetryable: true });
        if (status !== 'pending') throw refuse(`verification is ${status}`);
        if (sends === 0) throw refuse('the first code is not sent yet');
        if (sends >= p.maxSends) throw refuse(`no sends left (maxSends ${p.maxSends})`);
        if (Date.now() < nextResendAt()) {
          throw refuse(`resend cooldown: wait ${Math.ceil((nextResendAt() - Date.now()) / 1000)} s`);
        }
      },
    },
  );

  // The flow's main line. Since 0.3 it runs where native cancellation (Web UI, handle.cancel(), a
  // parent) cannot interrupt it: a cancel ends the flow as the `cancel` signal does, with its cleanup.
  const main = async (): Promise<OtpResult> => {
    let prefixGuardId = p.guard?.prefixGuardId;
    if (v2) {
      // The abuse limits, whoever started the flow (see admission.ts).
      const verdict = await limits.check(p);
      if (!verdict.allowed) {
        expiry.cancel();
        throw ApplicationFailure.create({
          type: ErrorTypes.limitExceeded,
          message: `refused by the abuse limits (${verdict.scope}): ${verdict.reason}`,
          nonRetryable: true,
          details: [verdict],
        });
      }
      prefixGuardId ??= verdict.prefixGuardId;
      if (v3) {
        ({ verifier, ref: codeRef } = await prefixed['cascade.prepareOtpVerifier']({
          codeLength: p.codeLength,
          withRef: true,
        }));
      } else {
        verifier = (await local.prepareOtpVerifier({ codeLength: p.codeLength })).verifier;
      }
    } else {
      verifier = (await prepareOtpVerifier({ codeLength: p.codeLength })).verifier;
    }
    recordOtpStarted(p.recipient);
    if (status === 'pending') send(0);
    showDetails(`code sent; valid for ${formatDuration(codeTtlMs)}`);

    await condition(() => status !== 'pending' || chainError !== undefined);
    if (chainError !== undefined) throw chainError;
    expiry.cancel();
    if (v3 && status === 'canceled') await cancelAtProviders(chain, v3);
    // A converted code is what tells real users from SMS pumping.
    if ((status as OtpStatus) === 'approved') await limits.converted(prefixGuardId);
    await condition(allHandlersFinished);
    recordOtpCompleted(p.recipient, status);
    showStatus(status);
    showDetails(status);
    return {
      status: status as OtpResult['status'],
      verifyAttempts,
      sends,
      attempts: chain.attempts,
      // Before 0.3: the digest the approved code matched, so a verify after the flow closed could
      // tell that code from any other. Since, a code is single-use and a closed flow approves nothing.
      ...((status as OtpStatus) === 'approved' && !v3 ? { approvedVerifier: verifier } : {}),
    };
  };
  if (!v3) return main();
  CancellationScope.current().cancelRequested.catch(() => {
    flow.canceled = true;
    end('canceled');
  });
  return CancellationScope.nonCancellable(main);
}

/** Compares two strings in time that depends only on their length. */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
