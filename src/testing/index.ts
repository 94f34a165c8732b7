// `temporal-cascade/testing`: prove your own flows in your own jest suite, in seconds.
export { createLocalEnvironment, createTimeSkippingEnvironment, LOG_LEVEL_ENV } from './environment';
export { historyFromJSON } from './replay';
export { CascadeTestbed, simulatorEnv, TEST_OTP_SECRET, type TestbedOptions } from './testbed';
export { startDevServer, type DevServerOptions, type RunningDevServer } from './dev-server';
export { TemporalBinaryError, TEMPORAL_BINARIES, resolveTemporalBinary } from './temporal-binaries';
export { CascadeMissingPeerError } from '../setup/peers';
export { startSimulator, Simulator, SIM_CREDENTIALS, type SimulatorOptions } from '../sim/server';
export type { SimMessage, SimOutcome, SimRule, SimFaults, SimProvider } from '../sim/types';
