// The app's backend: starts and verifies flows. Loads nothing of the worker (no native code).
import { Client, Connection } from '@temporalio/client';
import { CascadeClient, CascadeClientPlugin } from 'temporal-cascade/client';
import { DEFAULT_TASK_QUEUE, type OtpResult, type VerifyResult } from 'temporal-cascade';

export interface Backend {
  cascade: CascadeClient;
  close(): Promise<void>;
}

export async function connectBackend(options: {
  address: string;
  namespace?: string;
  taskQueue?: string;
  otpSecret: string;
}): Promise<Backend> {
  const connection = await Connection.connect({ address: options.address });
  // Payloads in clear for this app (no CASCADE_ENCRYPTION_KEYS): the plugin adds no codec then.
  const client = new Client({
    connection,
    namespace: options.namespace ?? 'default',
    plugins: [new CascadeClientPlugin({ config: {} })],
  });
  const cascade = new CascadeClient({
    client,
    taskQueue: options.taskQueue ?? DEFAULT_TASK_QUEUE,
    otpSecret: options.otpSecret,
  });
  return { cascade, close: () => connection.close() };
}

/** Starts a login code and returns a function that verifies what the user typed. */
export async function startLoginCode(
  cascade: CascadeClient,
  trackingId: string,
  phone: string,
): Promise<{ id: string; verify(code: string): Promise<VerifyResult>; result(): Promise<OtpResult> }> {
  const { id } = await cascade.startOtp({
    trackingId,
    recipient: { phone },
    steps: [{ channel: 'smsbat', fromName: 'ConsumerApp' }],
    template: 'Your ConsumerApp login code is {code}',
  });
  return {
    id,
    verify: (code) => cascade.verifyOtp(id, code),
    result: async () => (await cascade.result(id)) as OtpResult,
  };
}
