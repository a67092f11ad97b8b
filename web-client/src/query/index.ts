export { bindQueryClient, type QueryBinding, type QueryBindingOptions } from './query-binding.ts';
export { compareVersions, isNewer, type EntityMapping } from './entity-mapping.ts';
export { RowStore } from './row-store.ts';
