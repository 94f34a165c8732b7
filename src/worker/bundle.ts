import {
  bundleWorkflowCode,
  DefaultLogger,
  type WorkerOptions,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { withCascadeWorkflows } from './workflows-entry';

/**
 * The workflow bundle a production worker loads (`CASCADE_WORKFLOW_BUNDLE`), built once instead of
 * at every start: our workflows, and yours beside them when you give your module's path.
 */
export async function bundleCascadeWorkflows(
  options: {
    workflowsPath?: string;
    quiet?: boolean;
    webpackConfigHook?: NonNullable<WorkerOptions['bundlerOptions']>['webpackConfigHook'];
  } = {},
): Promise<WorkflowBundleWithSourceMap> {
  const entry = withCascadeWorkflows<{ workflowsPath?: string; bundlerOptions?: WorkerOptions['bundlerOptions'] }>({
    workflowsPath: options.workflowsPath,
    bundlerOptions: { webpackConfigHook: options.webpackConfigHook },
  });
  return bundleWorkflowCode({
    workflowsPath: entry.workflowsPath!,
    webpackConfigHook: entry.bundlerOptions?.webpackConfigHook,
    ...(options.quiet === false ? {} : { logger: new DefaultLogger('WARN') }),
  });
}
