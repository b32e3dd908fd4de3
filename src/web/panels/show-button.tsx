/** A drill-down's Show button: where it leads, said to a screen reader; a click or Enter goes there. */
import { type DrillTarget, drillLabel } from '../drilldown.ts';

export function ShowButton({
  target,
  onDrill,
}: {
  target: DrillTarget;
  onDrill: (target: DrillTarget) => void;
}) {
  return (
    <button type="button" class="link" aria-label={drillLabel(target)} onClick={() => onDrill(target)}>
      Show
    </button>
  );
}
