// Bundle entry for the test run: the product's workflows plus small fixtures.
export * from '../../src/workflows';
export * from './fixture-workflows';
