export { bindReplicache, type Pullable, type ReplicacheBindingOptions } from './replicache-binding.ts';
