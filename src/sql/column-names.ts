/**
 * The name PostgreSQL gives an unnamed result column (FigureColname), read from the parse
 * tree. The binder names a view's columns with it and the ad-hoc path a query's, so both
 * name a column as PostgreSQL does: each rule knows how sure it is (a column or a function
 * name beats a type name, which beats nothing), and `CASE … ELSE 'x'::text END` is `case`.
 */
import type { Node } from 'libpg-query';

interface Figured {
  readonly name: string;
  /** 2: a column, function or keyword name; 1: a type name or `case`; 0: nothing better than `?column?`. */
  readonly strength: number;
}

const NOTHING: Figured = { name: '?column?', strength: 0 };

const valueFunctionNames: Readonly<Record<string, string>> = {
  SVFOP_CURRENT_DATE: 'current_date',
  SVFOP_CURRENT_TIME: 'current_time',
  SVFOP_CURRENT_TIME_N: 'current_time',
  SVFOP_CURRENT_TIMESTAMP: 'current_timestamp',
  SVFOP_CURRENT_TIMESTAMP_N: 'current_timestamp',
  SVFOP_LOCALTIME: 'localtime',
  SVFOP_LOCALTIME_N: 'localtime',
  SVFOP_LOCALTIMESTAMP: 'localtimestamp',
  SVFOP_LOCALTIMESTAMP_N: 'localtimestamp',
  SVFOP_CURRENT_ROLE: 'current_role',
  SVFOP_CURRENT_USER: 'current_user',
  SVFOP_USER: 'user',
  SVFOP_SESSION_USER: 'session_user',
  SVFOP_CURRENT_CATALOG: 'current_catalog',
  SVFOP_CURRENT_SCHEMA: 'current_schema',
};

function lastName(nodes: readonly Node[] | undefined): string | undefined {
  const last = nodes?.[nodes.length - 1];
  return last !== undefined && 'String' in last ? (last.String.sval ?? '') : undefined;
}

function strong(name: string | undefined): Figured {
  return name === undefined ? NOTHING : { name, strength: 2 };
}

function figure(n: Node | undefined): Figured {
  if (n === undefined) return NOTHING;
  if ('ColumnRef' in n) return strong(lastName(n.ColumnRef.fields));
  if ('A_Indirection' in n) {
    const field = lastName(n.A_Indirection.indirection);
    return field !== undefined ? strong(field) : figure(n.A_Indirection.arg);
  }
  if ('FuncCall' in n) return strong(lastName(n.FuncCall.funcname));
  if ('A_Expr' in n) return n.A_Expr.kind === 'AEXPR_NULLIF' ? strong('nullif') : NOTHING;
  if ('TypeCast' in n) {
    const inner = figure(n.TypeCast.arg);
    if (inner.strength > 1) return inner;
    const type = lastName(n.TypeCast.typeName?.names);
    return type === undefined ? inner : { name: type, strength: 1 };
  }
  if ('CollateClause' in n) return figure(n.CollateClause.arg);
  if ('CaseExpr' in n) {
    const inner = figure(n.CaseExpr.defresult);
    return inner.strength > 1 ? inner : { name: 'case', strength: 1 };
  }
  if ('A_ArrayExpr' in n) return strong('array');
  if ('RowExpr' in n) return strong('row');
  if ('CoalesceExpr' in n) return strong('coalesce');
  if ('MinMaxExpr' in n) return strong(n.MinMaxExpr.op === 'IS_LEAST' ? 'least' : 'greatest');
  if ('GroupingFunc' in n) return strong('grouping');
  if ('SQLValueFunction' in n) return strong(valueFunctionNames[String(n.SQLValueFunction.op)]);
  if ('SubLink' in n) {
    const link = n.SubLink;
    if (link.subLinkType === 'EXISTS_SUBLINK') return strong('exists');
    if (link.subLinkType === 'ARRAY_SUBLINK') return strong('array');
    const select = link.subselect;
    if (link.subLinkType === 'EXPR_SUBLINK' && select !== undefined && 'SelectStmt' in select) {
      const first = select.SelectStmt.targetList?.[0];
      if (first !== undefined && 'ResTarget' in first)
        return first.ResTarget.name !== undefined
          ? strong(first.ResTarget.name)
          : figure(first.ResTarget.val);
    }
  }
  return NOTHING;
}

/** PostgreSQL's name for the unnamed result column `expr`. */
export function columnName(expr: Node | undefined): string {
  return figure(expr).name;
}
