/**
 * RisingWave's system parameters that mean something in tidewatch: `SHOW PARAMETERS` lists
 * them, `ALTER SYSTEM SET name = value | DEFAULT` changes a mutable one for every session at
 * once and keeps it in the data directory, so that the next start uses it too (a start flag
 * given explicitly wins for that run).
 */
import { existsSync, readFileSync } from 'node:fs';
import { SqlError, SqlState } from '../sql/errors.ts';
import { writeFileAtomically } from '../store/atomic-file.ts';
import { ioError } from '../store/errors.ts';

export interface SystemParameter {
  readonly name: string;
  readonly value: string;
  readonly mutable: boolean;
  readonly description: string;
}

export const DEFAULT_BARRIER_INTERVAL_MS = 1000;
export const MIN_BARRIER_INTERVAL_MS = 10;
export const MAX_BARRIER_INTERVAL_MS = 3_600_000;

const FILE_KIND = 'tidewatch-system-parameters';

type Listener = (barrierIntervalMs: number) => void;

export class SystemParameters {
  readonly #file: string;
  #stored: number | undefined;
  #barrierIntervalMs: number;
  readonly #listeners: Listener[] = [];

  /**
   * The parameters kept in `file` (none there: the defaults); `barrierIntervalMs`, when given,
   * is this run's barrier interval whatever the file says.
   */
  constructor(file: string, barrierIntervalMs?: number) {
    this.#file = file;
    this.#stored = readStored(file);
    this.#barrierIntervalMs = barrierIntervalMs ?? this.#stored ?? DEFAULT_BARRIER_INTERVAL_MS;
  }

  get barrierIntervalMs(): number {
    return this.#barrierIntervalMs;
  }

  /** `listener` hears every change of the barrier interval. */
  onChange(listener: Listener): void {
    this.#listeners.push(listener);
  }

  list(): readonly SystemParameter[] {
    return [
      {
        name: 'barrier_interval_ms',
        value: String(this.#barrierIntervalMs),
        mutable: true,
        description: 'The time interval of the periodic barriers: how often an epoch ends and is committed.',
      },
      {
        name: 'checkpoint_frequency',
        value: '1',
        mutable: false,
        description: 'Barriers per checkpoint: every epoch is a checkpoint.',
      },
    ];
  }

  /** `ALTER SYSTEM SET name = value` (`value` undefined: DEFAULT), applied at once and kept. */
  set(name: string, value: string | undefined): void {
    const parameter = this.list().find((p) => p.name === name.toLowerCase());
    if (parameter === undefined)
      throw new SqlError(SqlState.undefinedObject, `unrecognized system parameter "${name}"`);
    if (!parameter.mutable)
      throw new SqlError(
        SqlState.cantChangeRuntimeParam,
        `system parameter "${parameter.name}" cannot be changed`,
      );
    const ms = value === undefined ? DEFAULT_BARRIER_INTERVAL_MS : parseInterval(value);
    try {
      writeFileAtomically(
        this.#file,
        `${JSON.stringify({ kind: FILE_KIND, version: 1, barrier_interval_ms: ms })}\n`,
      );
    } catch (e) {
      throw ioError('system parameters', 'write', this.#file, e);
    }
    this.#stored = ms;
    this.#barrierIntervalMs = ms;
    for (const l of this.#listeners) l(ms);
  }
}

function parseInterval(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!(n >= MIN_BARRIER_INTERVAL_MS && n <= MAX_BARRIER_INTERVAL_MS))
    throw new SqlError(
      SqlState.invalidParameterValue,
      `invalid value for system parameter "barrier_interval_ms": "${value}"`,
      undefined,
      { hint: `Give milliseconds from ${MIN_BARRIER_INTERVAL_MS} to ${MAX_BARRIER_INTERVAL_MS}.` },
    );
  return n;
}

function readStored(file: string): number | undefined {
  if (!existsSync(file)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw ioError('system parameters', 'read', file, e);
  }
  const ms = (parsed as { kind?: unknown; barrier_interval_ms?: unknown } | null)?.barrier_interval_ms;
  if (
    (parsed as { kind?: unknown } | null)?.kind !== FILE_KIND ||
    typeof ms !== 'number' ||
    !Number.isInteger(ms) ||
    ms < MIN_BARRIER_INTERVAL_MS ||
    ms > MAX_BARRIER_INTERVAL_MS
  )
    throw ioError(
      'system parameters',
      'read',
      file,
      new Error(
        `not a system parameters file (a barrier_interval_ms from ${MIN_BARRIER_INTERVAL_MS} to ${MAX_BARRIER_INTERVAL_MS})`,
      ),
    );
  return ms;
}
