export { StreamProvider, type StreamProviderProps } from './StreamProvider.tsx';
export { useStreamManager } from './useStreamManager.ts';
export { useStreamState } from './useStreamState.ts';
export { useStreamSubscription, type SubscriptionStatus } from './useStreamSubscription.ts';
export { useStreamEvent } from './useStreamEvent.ts';
export { usePresence } from './usePresence.ts';
export { useBroadcast } from './useBroadcast.ts';
export { usePublish } from './usePublish.ts';
export { useTyping, type Typing, type TypingOptions } from './useTyping.ts';
