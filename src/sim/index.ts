// `temporal-cascade/sim`: the provider simulator (SMSBAT, Reach, SMTP capture).
export { startSimulator, Simulator, SIM_CREDENTIALS, type SimulatorOptions } from './server';
export type * from './types';
