/**
 * Names tidewatch keeps for itself. Relations named `tidewatch_…` or `__tw_…` are its own — the
 * store's tables, its system views, its system sources — so a client's CREATE of one is refused
 * (42939, as PostgreSQL refuses a role named `pg_…`). The system sources are created by tidewatch
 * under those names, and are nobody's to drop.
 */

/** The audit trail: logins, DDL and privilege changes (auth/audit-source.ts). */
export const AUDIT_SOURCE = 'tidewatch_audit';

const SYSTEM_SOURCES: ReadonlySet<string> = new Set([AUDIT_SOURCE]);

function bare(name: string): string {
  return name.toLowerCase().replace(/^public\./, '');
}

/** Whether `name` (maybe `public.`-qualified) is a system source of tidewatch's. */
export function isSystemRelation(name: string): boolean {
  return SYSTEM_SOURCES.has(bare(name));
}

/** Whether `name` is tidewatch's to give: a client may not create a relation of that name. */
export function isReservedName(name: string): boolean {
  const b = bare(name);
  return (b.startsWith('tidewatch_') || b.startsWith('__tw_')) && !SYSTEM_SOURCES.has(b);
}
