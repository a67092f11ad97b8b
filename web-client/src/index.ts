// Framework-free core. React: './react'; TanStack Query: './query'; Replicache: './replicache'.
export * from './core/index.ts';
