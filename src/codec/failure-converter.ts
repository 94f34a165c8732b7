import { DefaultFailureConverter } from '@temporalio/common';

// Loaded by path in the workflow sandbox: failure messages and stack traces are encoded as
// payloads too, so the encryption codec covers them.
export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
