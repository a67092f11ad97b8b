import { usePresence } from '../../src/react/index.ts';

/** "here:" the members of the chat's live room, by name (meta) or subject; self marked. */
export function PresenceList({ topic }: { topic: string }) {
  const presence = usePresence(topic);
  return (
    <div className="presence" data-testid="presence-list">
      <span className="label">here:</span>
      {presence?.count !== undefined && <span className="count">{presence.count} people</span>}
      {presence?.members.map((m) => (
        <span
          key={m.sub}
          className={m.self ? 'member self' : 'member'}
          data-testid="presence-member"
          data-sub={m.sub}
          data-self={String(m.self)}
        >
          {typeof m.meta['name'] === 'string' ? m.meta['name'] : m.sub}
          {m.self && ' (you)'}
        </span>
      ))}
    </div>
  );
}
