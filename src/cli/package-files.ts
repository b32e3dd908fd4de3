/** The files tidewatch ships that `start` reads: pipelines, the dashboard, and how the HTTP API names them. */

import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const DEFAULT_PIPELINES: readonly string[] = ['pipelines/website-security.sql'];
export const DEFAULT_DASHBOARD = 'dashboards/website-security.json';
export const DETECTIONS_PIPELINE = 'pipelines/detections.sql';
export const DETECTED_SOURCE = 'website_logs_source';

/** A file as the HTTP API names it: relative to the working directory or the package, else its name. */
export function publicPath(path: string, cwd: string): string {
  for (const root of [cwd, PACKAGE_ROOT]) {
    const inside = relative(root, path);
    if (inside !== '' && !inside.startsWith('..') && !isAbsolute(inside)) return inside;
  }
  return basename(path);
}
