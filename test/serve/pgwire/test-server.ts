/** Starts the PostgreSQL endpoint on 127.0.0.1, a free port, over a fresh in-memory engine with a small table `t`. */
import type { PgBackend } from '../../../src/serve/pgwire/backend.ts';
import { listenPg, type PgServer, type PgServerOptions } from '../../../src/serve/pgwire/server.ts';
import { EngineBackend } from './engine-backend.ts';

export interface TestServer {
  readonly server: PgServer;
  readonly port: number;
  /** The engine backend the server runs on, unless the test passed its own. */
  readonly backend: EngineBackend;
  readonly engine: EngineBackend['engine'];
  /** Errors the server reported as unexpected (bugs): tests assert there are none. */
  readonly unexpected: unknown[];
  close(): Promise<void>;
}

/** `t (a int, b varchar)` holding (1,'one') … (5,'five'). */
export const SEED = `CREATE TABLE t (a int, b varchar);
INSERT INTO t VALUES (1, 'one'), (2, 'two'), (3, 'three'), (4, 'four'), (5, 'five');
FLUSH`;

export async function startTestServer(
  options: Partial<PgServerOptions> = {},
  backend?: PgBackend,
): Promise<TestServer> {
  const engineBackend = new EngineBackend();
  await engineBackend.engine.execute(SEED);
  const unexpected: unknown[] = [];
  const server = await listenPg(backend ?? engineBackend, {
    host: '127.0.0.1',
    port: 0,
    onUnexpectedError: (e) => unexpected.push(e),
    ...options,
  });
  return {
    server,
    port: server.port,
    backend: engineBackend,
    engine: engineBackend.engine,
    unexpected,
    close: async () => {
      await server.close();
      engineBackend.engine.close();
    },
  };
}
