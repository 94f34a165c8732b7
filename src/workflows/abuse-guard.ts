import { continueAsNew, setHandler, workflowInfo, condition, allHandlersFinished } from '@temporalio/workflow';
import {
  acquireUpdate,
  blockSignal,
  guardStateQuery,
  unblockSignal,
  verifiedSignal,
  type GuardKind,
  type GuardState,
  type LimitDecision,
  type LimitPolicy,
} from '../shared/limits';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface GuardCarry {
  flows: { id: string; at: number; verified: boolean }[];
  blocked: boolean;
  reason?: string;
  /** Operator override: conversion blocking stays off until this time (after an unblock). */
  trustUntil?: number;
}

/**
 * The guards of 0.2.0, no longer started: flows recorded then, and 0.2.0 clients still running,
 * ask them, so the type stays registered. New flows count in the limit store (src/limits/).
 *
 * One durable entity per hashed recipient, per numbering-plan prefix or per country (`kind`). `acquire` (an update)
 * decides whether one more OTP flow may start, and records it; `verified` marks a flow that
 * converted. A prefix whose recent flows stop converting is blocked (the SMS-pumping signature);
 * the reason is queryable, and an operator can `unblock` (or `block`). Decisions use workflow
 * time, so they replay identically; the entity continues as new to keep its history bounded.
 */
export async function abuseGuard(kind: GuardKind, carry?: GuardCarry): Promise<void> {
  const state: GuardCarry = carry ?? { flows: [], blocked: false };
  let handled = 0;

  const decide = (policy: LimitPolicy, flowId: string): LimitDecision => {
    const now = Date.now();
    // A repeated start of the same flow (idempotent by tracking id) is not a new flow.
    if (state.flows.some((f) => f.id === flowId)) return { allowed: true };
    state.flows = state.flows.filter((f) => now - f.at < DAY).slice(-Math.max(policy.conversion.window ?? 200, 1000));
    const inHour = state.flows.filter((f) => now - f.at < HOUR);
    const refuse = (reason: string, retryAfterMs?: number): LimitDecision => {
      state.reason = reason;
      return { allowed: false, reason, retryAfterMs };
    };
    if (state.blocked) return refuse(state.reason ?? 'blocked');
    if (kind === 'recipient') {
      if (inHour.length >= policy.perRecipientHour) {
        return refuse(`more than ${policy.perRecipientHour} codes in an hour`, inHour[0].at + HOUR - now);
      }
      if (state.flows.length >= policy.perRecipientDay) {
        return refuse(`more than ${policy.perRecipientDay} codes in a day`, state.flows[0].at + DAY - now);
      }
    } else if (kind === 'country') {
      const ceiling = policy.perCountryHour ?? Number.POSITIVE_INFINITY;
      if (inHour.length >= ceiling) {
        return refuse(`more than ${ceiling} codes to this country in an hour`, inHour[0].at + HOUR - now);
      }
    } else {
      if (inHour.length >= policy.perPrefixHour) {
        return refuse(`more than ${policy.perPrefixHour} codes to this prefix in an hour`, inHour[0].at + HOUR - now);
      }
      const { minFlows, minRate, settleAfterMs } = policy.conversion;
      const window = policy.conversion.window ?? 200;
      // Flows still in progress say nothing yet: a burst of real sign-ups is not pumping.
      const recent = state.flows.filter((f) => f.verified || now - f.at >= settleAfterMs).slice(-window);
      const rate = recent.filter((f) => f.verified).length / Math.max(1, recent.length);
      const trusted = (state.trustUntil ?? 0) >= now;
      if (!trusted && recent.length >= minFlows && rate < minRate) {
        state.blocked = true;
        return refuse(
          `blocked: ${(rate * 100).toFixed(0)}% of the last ${recent.length} codes were verified (minimum ${minRate * 100}%), the pattern of SMS pumping`,
        );
      }
      // Before there is conversion data: codes that have had time to be typed and were not.
      const burst = policy.burst;
      if (!trusted && burst) {
        const unverified = state.flows.filter(
          (f) => !f.verified && now - f.at < burst.windowMs && now - f.at >= (burst.graceMs ?? 120_000),
        ).length;
        if (unverified >= burst.maxUnverified) {
          state.blocked = true;
          return refuse(
            `blocked: ${unverified} codes in ${Math.round(burst.windowMs / 60_000)} min were not verified, the pattern of SMS pumping`,
          );
        }
      }
    }
    state.flows.push({ id: flowId, at: now, verified: false });
    return { allowed: true };
  };

  setHandler(acquireUpdate, ({ policy, flowId }) => {
    handled++;
    return decide(policy, flowId);
  });
  setHandler(verifiedSignal, ({ flowId }) => {
    handled++;
    const flow = state.flows.find((f) => f.id === flowId);
    if (flow) flow.verified = true;
  });
  setHandler(unblockSignal, ({ by, reason }) => {
    handled++;
    state.blocked = false;
    state.reason = `unblocked by ${by}${reason ? `: ${reason}` : ''}`;
    // Judge conversion afresh: the flows that led to the block no longer count.
    state.flows = state.flows.map((f) => ({ ...f, verified: true }));
    state.trustUntil = Date.now() + HOUR;
  });
  setHandler(blockSignal, ({ by, reason }) => {
    handled++;
    state.blocked = true;
    state.reason = `blocked by ${by}: ${reason}`;
  });
  setHandler(guardStateQuery, (): GuardState => {
    const recent = state.flows;
    const verified = recent.filter((f) => f.verified).length;
    return {
      key: workflowInfo().workflowId,
      blocked: state.blocked,
      reason: state.reason,
      recentFlows: recent.length,
      recentVerified: verified,
      conversionRate: recent.length ? verified / recent.length : undefined,
    };
  });

  // An entity lives on; every 500 messages it starts a fresh history with its state.
  await condition(() => handled >= 500 || workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof abuseGuard>(kind, state);
}
