// A host app's own failure converter (loaded by path): marks every failure it turns into an error,
// so a test can tell it is the one in force.
import { DefaultFailureConverter, type PayloadConverter, type ProtoFailure } from '@temporalio/common';

export const HOST_FAILURE_MARK = '[host failure converter]';

class HostFailureConverter extends DefaultFailureConverter {
  override failureToError(failure: ProtoFailure, payloadConverter: PayloadConverter): Error {
    const err = super.failureToError(failure, payloadConverter);
    err.message = `${HOST_FAILURE_MARK} ${err.message}`;
    return err;
  }
}

export const failureConverter = new HostFailureConverter();
