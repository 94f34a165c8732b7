import { openReceiptIndex } from '../../src/receipts/open';
import { MemoryReceiptIndex, MemoryReceiptStore } from '../../src/receipts/memory';
import { describeReceiptIndexContract } from './contract';

describe('MemoryReceiptIndex', () => {
  describeReceiptIndexContract(async () => {
    const store = new MemoryReceiptStore();
    return { open: async (options) => store.open(options) };
  });

  it('is what `memory:` opens (no native driver)', async () => {
    const index = await openReceiptIndex('memory:', { maxParked: 3 });
    expect(index).toBeInstanceOf(MemoryReceiptIndex);
    await index.close();
  });
});
