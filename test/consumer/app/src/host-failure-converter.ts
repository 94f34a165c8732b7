// The host app's own failure converter (loaded by path, in its workflows' sandbox too): it marks
// every failure it turns back into an error, so the app can tell it is the one in force.
import { DefaultFailureConverter, type PayloadConverter, type ProtoFailure } from '@temporalio/common';

export const HOST_FAILURE_MARK = '[host]';

class HostFailureConverter extends DefaultFailureConverter {
  override failureToError(failure: ProtoFailure, payloadConverter: PayloadConverter): Error {
    const err = super.failureToError(failure, payloadConverter);
    err.message = `${HOST_FAILURE_MARK} ${err.message}`;
    return err;
  }
}

export const failureConverter = new HostFailureConverter();
