/**
 * Emitter: typed listener lists. Listeners may add or remove listeners while an event is
 * dispatched (the list is copied first); a throwing listener is reported to `onError` and
 * does not stop the others.
 */
export class Emitter<Events extends object> {
  private readonly listeners_ = new Map<keyof Events, Set<(data: never) => void>>();

  constructor(private readonly onError_: (error: unknown) => void) {}

  on<K extends keyof Events>(type: K, listener: (data: Events[K]) => void): () => void {
    let set = this.listeners_.get(type);
    if (!set) {
      set = new Set();
      this.listeners_.set(type, set);
    }
    const entry = listener as (data: never) => void;
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  emit<K extends keyof Events>(type: K, data: Events[K]): void {
    const set = this.listeners_.get(type);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        (listener as (d: Events[K]) => void)(data);
      } catch (error) {
        this.onError_(error);
      }
    }
  }
}
