import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON as sdkHistoryFromJSON } from '@temporalio/common/lib/proto-utils';
import { historyFromJSONWithProtoProtobuf } from '../../src/testing/replay';

/**
 * The testing kit's historyFromJSON falls back to @temporalio/proto's own protobufjs where npm
 * nests two copies (a consumer's tree; proven end to end by `npm run test:consumer`). Here both
 * paths can run: the fallback must read a recorded history exactly as the SDK does.
 */
test('the fallback conversion reads a recorded history as the SDK does', () => {
  const dir = join(__dirname, '../replay/histories/0.2.0');
  for (const file of ['otpVerification--otp-fallback.json', 'bulkSend--bulk-continue-as-new.json']) {
    const json: unknown = JSON.parse(readFileSync(join(dir, file), 'utf8'));
    const ours = historyFromJSONWithProtoProtobuf(json);
    const sdk = sdkHistoryFromJSON(json);
    expect(ours.events?.length).toBeGreaterThan(10);
    expect(JSON.stringify(ours)).toBe(JSON.stringify(sdk));
  }
  expect(() => historyFromJSONWithProtoProtobuf({ events: 'none' })).toThrow(/array of events/);
});
