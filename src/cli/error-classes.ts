/** The errors that keep their class when they cross between start's threads (engine-thread.ts). */

import { SourceDropped } from '../connectors/log-input.ts';
import type { ErrorClasses } from '../runtime/thread-rpc.ts';
import { HttpError } from '../serve/http-error.ts';
import { SqlError } from '../sql/errors.ts';
import { StoreError } from '../store/errors.ts';
import { UsageError } from './flags.ts';
import { PipelineError } from './pipelines.ts';

export const ERROR_CLASSES: ErrorClasses = {
  SqlError,
  StoreError,
  PipelineError,
  UsageError,
  SourceDropped,
  HttpError,
};
