/**
 * The incremental dataflow runtime: operators over Z-set changes, the dataflow graph,
 * barriers (epochs) and watermarks. See README.md in this folder.
 */
export type { Accumulator, AggregateCall, AggregateKind } from './aggregates/accumulator.ts';
export { createAccumulator } from './aggregates/accumulator.ts';
export { ExactSum } from './aggregates/exact-sum.ts';
export type { Chunk, WeightedRow } from './chunk.ts';
export {
  ChunkBuilder,
  chunk,
  concat,
  consolidate,
  deletes,
  fromMultiset,
  inserts,
  integrate,
} from './chunk.ts';
export { Dataflow, type DataflowHeader } from './graph.ts';
export { KeyMap } from './key-map.ts';
export type {
  Barrier,
  Message,
  OperatorCheckpoint,
  OperatorStats,
  StatsSnapshot,
  Watermark,
  WatermarkMap,
} from './operator.ts';
export { barrier, Operator, WatermarkAligner, WatermarkTracker, watermark } from './operator.ts';
export { Aggregate, type AggregateOptions } from './operators/aggregate.ts';
export { Filter, type Predicate } from './operators/filter.ts';
export { Hop, type HopOptions } from './operators/hop.ts';
export { Join, type JoinOptions, type JoinType } from './operators/join.ts';
export { type CommitListener, Materialize } from './operators/materialize.ts';
export { OverWindow, type OverWindowOptions, type WindowCall } from './operators/over-window.ts';
export { Project, type RowMapper, selectColumns } from './operators/project.ts';
export { Source } from './operators/source.ts';
export { type RankKind, TopN, type TopNOptions } from './operators/top-n.ts';
export { Tumble, type TumbleOptions, windowStart } from './operators/tumble.ts';
export { Union } from './operators/union.ts';
export type { Interval, OrderSpec, Row, SortKey, Value } from './value.ts';
export {
  compareKeys,
  compareRows,
  compareValues,
  hashKey,
  isSqlStateError,
  rowIdentity,
  rowKey,
  rowsEqual,
  rowsIdentical,
  valueKey,
  valuesEqual,
} from './value.ts';
