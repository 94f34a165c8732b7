/**
 * The behaviour every ReceiptIndex backend must show, run by each backend's test file against a
 * real store. `newStore()` makes an empty store; `store.open()` opens one more connection to it.
 */
import { type DeliveryState, type DeliveryStatus } from '../../src/shared/delivery-status';
import { type ReceiptIndexOptions } from '../../src/receipts/rules';
import { type ReceiptClaim, type ReceiptIndex, type ReceiptOwner } from '../../src/receipts/types';

export interface ReceiptStore {
  open(options?: ReceiptIndexOptions): Promise<ReceiptIndex>;
}

const T0 = Date.UTC(2030, 0, 1);
const DAY = 86_400_000;

export const flow = (workflowId: string): ReceiptOwner => ({ kind: 'flow', workflowId });

export function receipt(id: string, state: DeliveryState = 'delivered', rawStatus: string = state): DeliveryStatus {
  return { provider: 'smsbat', providerMessageId: id, state, rawStatus, channel: 'viber' };
}

export function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

export function describeReceiptIndexContract(newStore: () => Promise<ReceiptStore>): void {
  let opened: ReceiptIndex[] = [];
  let clock = T0;
  const open = async (options: ReceiptIndexOptions = {}, store?: ReceiptStore) => {
    const index = await (store ?? (await newStore())).open({ now: () => clock, ...options });
    opened.push(index);
    return index;
  };
  const claimOne = (index: ReceiptIndex, messageId: string, owner: ReceiptOwner) =>
    index.claim('smsbat', [{ messageId, owner }]);

  beforeEach(() => {
    clock = T0;
  });
  afterEach(async () => {
    await Promise.all(opened.map((i) => i.close()));
    opened = [];
  });

  it('routes a receipt to the workflow that claimed its id', async () => {
    const index = await open();
    expect(await claimOne(index, 'm1', flow('wf-1'))).toEqual(new Map());
    expect(await index.route(receipt('m1'))).toEqual({ kind: 'owner', owner: flow('wf-1'), duplicate: false });
  });

  it('parks a receipt that comes before its claim and hands it to the claim', async () => {
    const index = await open();
    const early = receipt('m1', 'pending', 'sent');
    expect(await index.route(early)).toEqual({ kind: 'parked' });
    expect(await claimOne(index, 'm1', flow('wf-1'))).toEqual(new Map([['m1', [early]]]));
    expect(await index.route(receipt('m1'))).toEqual({ kind: 'owner', owner: flow('wf-1'), duplicate: false });
  });

  it('hands parked receipts to the first claim only', async () => {
    const index = await open();
    await index.route(receipt('m1', 'pending', 'sent'));
    await claimOne(index, 'm1', flow('wf-1'));
    expect(await claimOne(index, 'm1', flow('wf-1'))).toEqual(new Map());
  });

  it('keeps the newest maxParkedPerId receipts of a parked id and hands them over oldest first', async () => {
    const index = await open({ limits: { maxParkedPerId: 3 } });
    const receipts = [1, 2, 3, 4, 5].map((n) => receipt('m1', 'pending', `step-${n}`));
    for (const r of receipts) expect(await index.route(r)).toEqual({ kind: 'parked' });
    expect((await claimOne(index, 'm1', flow('wf-1'))).get('m1')).toEqual(receipts.slice(2));
  });

  it('marks a settled receipt routed again with the same status as a duplicate', async () => {
    const index = await open();
    await claimOne(index, 'm1', flow('wf-1'));
    expect(await index.route(receipt('m1', 'delivered'))).toMatchObject({ kind: 'owner', duplicate: false });
    expect(await index.route(receipt('m1', 'delivered'))).toMatchObject({ kind: 'owner', duplicate: true });
  });

  it('forgets a settled receipt whose forwarding failed, so its retry is forwarded, on another connection too', async () => {
    const store = await newStore();
    const [receiver, retrier] = [await open({}, store), await open({}, store)];
    await claimOne(receiver, 'm1', flow('wf-1'));
    expect(await receiver.route(receipt('m1', 'delivered'))).toMatchObject({ duplicate: false });
    await receiver.release(receipt('m1', 'delivered'));
    expect(await retrier.route(receipt('m1', 'delivered'))).toMatchObject({ kind: 'owner', duplicate: false });
    expect(await retrier.route(receipt('m1', 'delivered'))).toMatchObject({ duplicate: true });
    // Releasing another status than the one recorded changes nothing.
    await retrier.release(receipt('m1', 'failed', 'undeliverable'));
    expect(await retrier.route(receipt('m1', 'delivered'))).toMatchObject({ duplicate: true });
  });

  it('does not mark a different settled status or a repeated pending status as a duplicate', async () => {
    const index = await open();
    await claimOne(index, 'm1', flow('wf-1'));
    await index.route(receipt('m1', 'failed', 'undeliverable'));
    expect(await index.route(receipt('m1', 'delivered'))).toMatchObject({ duplicate: false });
    expect(await index.route(receipt('m1', 'pending', 'sent'))).toMatchObject({ duplicate: false });
    expect(await index.route(receipt('m1', 'pending', 'sent'))).toMatchObject({ duplicate: false });
  });

  it('counts a settled receipt handed over by the claim as routed', async () => {
    const index = await open();
    await index.route(receipt('m1', 'delivered'));
    await claimOne(index, 'm1', flow('wf-1'));
    expect(await index.route(receipt('m1', 'delivered'))).toMatchObject({ kind: 'owner', duplicate: true });
  });

  it('gives an id to its last claim, across calls and within one batch', async () => {
    const index = await open();
    await claimOne(index, 'm1', flow('wf-a'));
    await claimOne(index, 'm1', flow('wf-b'));
    expect(await index.route(receipt('m1'))).toMatchObject({ owner: flow('wf-b') });
    await index.claim('smsbat', [
      { messageId: 'm2', owner: flow('wf-a') },
      { messageId: 'm2', owner: flow('wf-c') },
    ]);
    expect(await index.route(receipt('m2'))).toMatchObject({ owner: flow('wf-c') });
  });

  it('claims 1000 ids in one call and routes each receipt to its bulk slot', async () => {
    const index = await open();
    const ids = Array.from({ length: 1000 }, (_, slot) => `bulk-${slot}`);
    const early = ids.slice(0, 5).map((id) => receipt(id, 'pending', 'sent'));
    for (const r of early) await index.route(r);
    const claims: ReceiptClaim[] = ids.map((messageId, slot) => ({
      messageId,
      owner: { kind: 'bulk', workflowId: 'chunk-1', slot },
    }));
    expect(await index.claim('smsbat', claims)).toEqual(new Map(early.map((r) => [r.providerMessageId, [r]])));
    const decisions = await Promise.all(ids.map((id) => index.route(receipt(id))));
    expect(decisions).toEqual(
      ids.map((_, slot) => ({ kind: 'owner', owner: { kind: 'bulk', workflowId: 'chunk-1', slot }, duplicate: false })),
    );
  });

  it('refuses a new id once maxParked ids are parked, but parks more receipts for a parked id', async () => {
    const index = await open({ limits: { maxParked: 3 } });
    await claimOne(index, 'claimed', flow('wf-1'));
    for (const id of ['a', 'b', 'c']) expect(await index.route(receipt(id))).toEqual({ kind: 'parked' });
    expect(await index.route(receipt('d'))).toEqual({ kind: 'full' });
    expect(await index.route(receipt('a', 'failed'))).toEqual({ kind: 'parked' });
    expect(await index.route(receipt('claimed'))).toMatchObject({ kind: 'owner' });
  });

  it('makes room in the park when a parked id is claimed', async () => {
    const index = await open({ limits: { maxParked: 2 } });
    await index.route(receipt('a'));
    await index.route(receipt('b'));
    expect(await index.route(receipt('c'))).toEqual({ kind: 'full' });
    await claimOne(index, 'a', flow('wf-1'));
    expect(await index.route(receipt('c'))).toEqual({ kind: 'parked' });
  });

  it('expires parked receipts after parkTtlMs and claims after claimTtlMs', async () => {
    const index = await open({ limits: { parkTtlMs: 1000, claimTtlMs: 5000 } });
    await index.route(receipt('parked'));
    await claimOne(index, 'claimed', flow('wf-1'));
    expect(await index.expire(T0 + 999)).toBe(0);
    expect(await index.expire(T0 + 1000)).toBe(1);
    expect(await claimOne(index, 'parked', flow('wf-2'))).toEqual(new Map());
    expect(await index.expire(T0 + 5000)).toBe(2);
    expect(await index.route(receipt('claimed'))).toEqual({ kind: 'parked' });
  });

  it('starts a parked id’s wait again with each receipt it gets', async () => {
    const index = await open({ limits: { parkTtlMs: 1000 } });
    await index.route(receipt('m1', 'pending', 'sent'));
    clock = T0 + 800;
    await index.route(receipt('m1'));
    expect(await index.expire(T0 + 1000)).toBe(0);
    clock = T0 + 1800;
    expect(await index.expire()).toBe(1);
  });

  it('removes every expired row in one expire call, however many', async () => {
    const index = await open({ limits: { claimTtlMs: 1000 } });
    const claims = Array.from({ length: 2500 }, (_, n) => ({ messageId: `m${n}`, owner: flow(`wf-${n}`) }));
    await index.claim('smsbat', claims.slice(0, 1000));
    await index.claim('smsbat', claims.slice(1000, 2000));
    await index.claim('smsbat', claims.slice(2000));
    expect(await index.expire(T0 + 1000)).toBe(2500);
    expect(await index.stats()).toMatchObject({ claimed: 0 });
  });

  it('counts parked receipts, claimed ids, refusals and expired rows', async () => {
    const index = await open({ limits: { maxParked: 2 } });
    await index.route(receipt('a', 'pending', 'sent'));
    await index.route(receipt('a'));
    await index.route(receipt('b'));
    await index.route(receipt('c'));
    await index.claim('smsbat', [
      { messageId: 'x', owner: flow('wf-1') },
      { messageId: 'y', owner: flow('wf-1') },
    ]);
    expect(await index.stats()).toEqual({ parked: 3, claimed: 2, refusedFull: 1, expired: 0 });
    await index.expire(T0 + 9 * DAY);
    expect(await index.stats()).toEqual({ parked: 0, claimed: 0, refusedFull: 1, expired: 4 });
  });

  it('delivers every receipt exactly once when claims and routes of the same ids race on two connections', async () => {
    const store = await newStore();
    const [claimer, router] = [await open({}, store), await open({}, store)];
    const ids = Array.from({ length: 300 }, (_, n) => `race-${n}`);
    const delivered = new Map<string, number>(ids.map((id) => [id, 0]));
    const deliver = (id: string) => delivered.set(id, delivered.get(id)! + 1);

    // Each id gets one claim (in batches of 1–8) and one route; all start in a random order.
    const claims = chunks(shuffled(ids), () => 1 + Math.floor(Math.random() * 8)).map((batch) => async () => {
      const claimsOfBatch = batch.map((messageId) => ({ messageId, owner: flow(`wf-${messageId}`) }));
      for (const id of (await claimer.claim('smsbat', claimsOfBatch)).keys()) deliver(id);
    });
    const routes = ids.map((id) => async () => {
      if ((await router.route(receipt(id))).kind === 'owner') deliver(id);
    });
    await Promise.all(shuffled([...claims, ...routes]).map((start) => start()));

    expect([...delivered].filter(([, times]) => times !== 1)).toEqual([]);
    expect(await router.stats()).toMatchObject({ parked: 0, claimed: ids.length });
  });
}

export function chunks<T>(items: T[], size: () => number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length;) {
    const n = size();
    out.push(items.slice(i, i + n));
    i += n;
  }
  return out;
}
