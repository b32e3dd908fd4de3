/**
 * `tidewatch grafana`: writes Grafana provisioning for a dashboard file — the data source of
 * tidewatch's PostgreSQL endpoint, a dashboard provider and the dashboard — so that Grafana shows
 * the panels the built-in page shows, from the same definitions: the dashboard file's, and the
 * panels saved from the page into the data directory.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GRAFANA_USER } from '../auth/built-in-users.ts';
import { DASHBOARDS_PATH, grafanaProvisioning } from '../dashboard/grafana.ts';
import { type Dashboard, DashboardError, loadDashboard } from '../dashboard/panels.ts';
import { readSavedPanels, SAVED_PANELS_FILE, withSavedPanels } from '../serve/saved-panels.ts';
import { defineCommand } from './command.ts';
import { parseInteger, parseNonEmpty, UsageError } from './flags.ts';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

const flags = [
  {
    name: 'dashboard',
    arg: 'FILE',
    help: 'the dashboard file whose panels Grafana shows',
    default: join(PACKAGE_ROOT, 'dashboards', 'website-security.json') as string,
    parse: parseNonEmpty,
  },
  {
    name: 'data-dir',
    arg: 'DIR',
    help: "the data directory of tidewatch start, whose panels saved from the page's SQL box Grafana shows too",
    default: './tidewatch-data' as string,
    parse: parseNonEmpty,
  },
  {
    name: 'out',
    arg: 'DIR',
    help: 'where the provisioning files are written',
    default: './grafana' as string,
    parse: parseNonEmpty,
  },
  {
    name: 'pg-host',
    arg: 'HOST',
    help: "tidewatch's PostgreSQL endpoint as Grafana reaches it (from a container: host.docker.internal)",
    default: '127.0.0.1' as string,
    parse: parseNonEmpty,
  },
  {
    name: 'pg-port',
    arg: 'N',
    help: "the port of tidewatch's PostgreSQL endpoint",
    default: 4566 as number,
    parse: parseInteger(1, 65535),
  },
  {
    name: 'pg-user',
    arg: 'USER',
    help: 'the user Grafana logs in as: the read-only "grafana" that tidewatch start keeps',
    default: GRAFANA_USER as string,
    parse: parseNonEmpty,
  },
] as const;

/** Where Grafana finds the password: the variable start reads --grafana-password from. */
const PASSWORD_VARIABLE = 'TIDEWATCH_GRAFANA_PASSWORD';

export const grafanaCommand = defineCommand({
  name: 'grafana',
  summary: "Write Grafana provisioning (data source and dashboard) for tidewatch's panels",
  usage: 'tidewatch grafana [options]',
  flags,
  details: [
    'Writes DIR/provisioning/datasources/tidewatch.yaml and DIR/provisioning/dashboards/tidewatch.yaml',
    `(mount them into /etc/grafana/provisioning/), and DIR/dashboards/<dashboard>.json (mount that`,
    `directory at ${DASHBOARDS_PATH}). The panels run the dashboard file's SQL; Grafana's`,
    'PostgreSQL data source expands $__timeFilter and the dashboard variables itself.',
    "Panels saved from the page's SQL box (DIR/saved-panels.json of --data-dir) follow the file's.",
    `The data source logs in as the read-only user "${GRAFANA_USER}" (SELECT on every relation; tidewatch`,
    `start keeps it), its password read from Grafana's environment variable ${PASSWORD_VARIABLE}:`,
    `run tidewatch start and Grafana with the same ${PASSWORD_VARIABLE} (start's --grafana-password).`,
  ],
  async run(settings, io): Promise<number> {
    let dashboard: Dashboard;
    try {
      const dataDir = resolve(io.cwd, settings['data-dir']);
      dashboard = withSavedPanels(
        loadDashboard(resolve(io.cwd, settings.dashboard)),
        readSavedPanels(dataDir),
        join(dataDir, SAVED_PANELS_FILE),
      );
    } catch (error) {
      if (error instanceof DashboardError) throw new UsageError(`tidewatch grafana: ${error.message}`);
      throw error;
    }
    const files = grafanaProvisioning(dashboard, {
      host: settings['pg-host'],
      port: settings['pg-port'],
      database: 'dev',
      user: settings['pg-user'],
      passwordVariable: PASSWORD_VARIABLE,
    });
    const out = resolve(io.cwd, settings.out);
    for (const [path, text] of Object.entries(files)) {
      const file = join(out, path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
      io.stdout.write(`wrote ${file}\n`);
    }
    return 0;
  },
});
