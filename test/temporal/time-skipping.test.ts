import { type TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnvironment } from '../../src/testing/environment';
import { sleepThenReport } from '../support/fixture-workflows';
import { createTestWorker } from '../support/temporal';

describe('time-skipping test server (provisioned binary)', () => {
  let env: TestWorkflowEnvironment;
  beforeAll(async () => {
    env = await createTimeSkippingEnvironment();
  });
  afterAll(async () => {
    await env?.teardown();
  });

  test('a workflow crosses a 24-hour durable timer without waiting 24 hours', async () => {
    const worker = await createTestWorker(env);
    const wallStart = Date.now();
    const result = await worker.runUntil(
      env.client.workflow.execute(sleepThenReport, {
        args: ['24h'],
        workflowId: `sleep-${Date.now()}`,
        taskQueue: worker.options.taskQueue,
      }),
    );
    // Workflow time moved a full day; the test's own timeout bounds the wall time.
    expect(result.wokeAt - result.startedAt).toBeGreaterThanOrEqual(24 * 3600 * 1000);
    console.log(`24 h timer crossed in ${Date.now() - wallStart} ms of wall time`);
  });
});
