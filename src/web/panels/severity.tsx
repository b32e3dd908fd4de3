/**
 * A severity as a badge: its word, a mark of one to four bars and a colour, so that it reads
 * without the colour (and a screen reader reads the word only).
 */
const LEVELS = ['low', 'medium', 'high', 'critical'] as const;

export function Severity({ value }: { value: unknown }) {
  const word = value === null || value === undefined ? '' : String(value);
  const level = LEVELS.indexOf(word as (typeof LEVELS)[number]);
  if (level < 0) return <>{word === '' ? '—' : word}</>;
  return (
    <span class={`severity severity-${word}`} data-severity={word}>
      <span class="severity-mark" aria-hidden="true">
        {'▮'.repeat(level + 1)}
        <span class="severity-rest">{'▯'.repeat(LEVELS.length - level - 1)}</span>
      </span>{' '}
      {word}
    </span>
  );
}
