// The shared delivery-status type lives with the workflow-safe contract; providers map into it.
export * from '../shared/delivery-status';
