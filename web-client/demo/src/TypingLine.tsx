/** "u2 is typing…" for the subjects `useTyping` lists; nothing when nobody types. */
export function TypingLine({ typing }: { typing: readonly string[] }) {
  if (typing.length === 0) return null;
  const who = typing.length === 1 ? `${typing[0]} is` : `${typing.slice(0, -1).join(', ')} and ${typing.at(-1)} are`;
  return (
    <p className="typing" data-testid="typing-indicator" data-subs={typing.join(',')}>
      {who} typing…
    </p>
  );
}
