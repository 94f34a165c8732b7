// `temporal-cascade`: the backend entry, the same as `temporal-cascade/client`. Workers import
// `temporal-cascade/worker`; workflow code `temporal-cascade/workflows` and `temporal-cascade/contract`.
export * from './client';
