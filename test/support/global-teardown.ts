import { type RunningDevServer } from '../../src/testing/dev-server';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __devServer?: RunningDevServer }).__devServer?.stop();
}
