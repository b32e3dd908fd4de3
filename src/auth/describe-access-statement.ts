/**
 * A user or privilege statement as one line for the audit trail: what it does, never a
 * password (`PASSWORD` says that one was set).
 */
import type { AccessStatement, GrantTarget, UserOptions } from '../sql/access-statements.ts';

function options(o: UserOptions): string {
  const words: string[] = [];
  const flag = (value: boolean | undefined, yes: string) => {
    if (value !== undefined) words.push(value ? yes : `NO${yes}`);
  };
  flag(o.superuser, 'SUPERUSER');
  flag(o.createdb, 'CREATEDB');
  flag(o.createuser, 'CREATEUSER');
  flag(o.login, 'LOGIN');
  if (o.password !== undefined)
    words.push(o.password === null || o.password === '' ? 'PASSWORD NULL' : 'PASSWORD');
  return words.length === 0 ? '' : ` ${words.join(' ')}`;
}

function target(t: GrantTarget): string {
  if (t.kind === 'all-in-schema') {
    const plural =
      t.objectKind === 'materialized view' ? 'MATERIALIZED VIEWS' : `${t.objectKind.toUpperCase()}S`;
    return `ALL ${plural} IN SCHEMA ${t.schemas.join(', ')}`;
  }
  return `${t.objectKind === undefined ? '' : `${t.objectKind.toUpperCase()} `}${t.names.join(', ')}`;
}

export function describeAccessStatement(s: AccessStatement): string {
  switch (s.kind) {
    case 'CreateUser':
      return `CREATE USER ${s.name}${options(s.options)}`;
    case 'AlterUser':
      return `ALTER USER ${s.name}${options(s.options)}`;
    case 'RenameUser':
      return `ALTER USER ${s.name} RENAME TO ${s.newName}`;
    case 'DropUser':
      return `DROP USER ${s.ifExists ? 'IF EXISTS ' : ''}${s.names.join(', ')}`;
    case 'Grant':
      return `GRANT ${s.privileges === 'ALL' ? 'ALL' : s.privileges.join(', ')} ON ${target(s.target)} TO ${s.users.join(', ')}${s.withGrantOption ? ' WITH GRANT OPTION' : ''}`;
    case 'Revoke':
      return `REVOKE ${s.grantOptionOnly ? 'GRANT OPTION FOR ' : ''}${s.privileges === 'ALL' ? 'ALL' : s.privileges.join(', ')} ON ${target(s.target)} FROM ${s.users.join(', ')}${s.cascade ? ' CASCADE' : ''}`;
    case 'GrantCreate':
      return `GRANT CREATE ON SCHEMA ${s.schemas.join(', ')} TO ${s.users.join(', ')}`;
    case 'RevokeCreate':
      return `REVOKE CREATE ON SCHEMA ${s.schemas.join(', ')} FROM ${s.users.join(', ')}`;
    default: {
      const never: never = s;
      throw new Error(`unknown access statement ${String(never)}`);
    }
  }
}
