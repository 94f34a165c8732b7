// Loaded before anything of the SDK's worker side: an app that lacks one of these learns which,
// and the install line, instead of a bare "Cannot find module" from deep inside the package.
import { assertPeers } from '../setup/peers';

assertPeers("temporal-cascade's worker (temporal-cascade/worker)", [
  '@temporalio/worker',
  '@temporalio/plugin',
  '@temporalio/activity',
  '@temporalio/workflow',
]);
