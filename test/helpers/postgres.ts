// PostgreSQL for the tests: TEST_DATABASE_URL when set (CI provides it), else a throwaway container
// from testcontainers when a container runtime is reachable; with neither, the PostgreSQL suites
// are skipped with a loud message. Each use gets its own schema, so runs never see each other's rows.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

let base: Promise<string | undefined> | undefined;

async function findServer(): Promise<string | undefined> {
  if (process.env.TEST_DATABASE_URL) return process.env.TEST_DATABASE_URL;
  try {
    const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
    const container = await new PostgreSqlContainer('postgres:16-alpine').start();
    process.once('exit', () => void container.stop());
    return container.getConnectionUri();
  } catch (error) {
    process.stderr.write(
      `\n${'!'.repeat(78)}\n!! PostgreSQL tests SKIPPED: TEST_DATABASE_URL is not set and no container runtime is reachable\n!! (${String((error as Error).message).split('\n')[0]})\n${'!'.repeat(78)}\n\n`,
    );
    return undefined;
  }
}

export function postgresServer(): Promise<string | undefined> {
  base ??= findServer();
  return base;
}

/** A fresh, empty schema on the test server, and a URL whose connections use it. */
export async function freshSchema(server: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = new URL(server);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: server });
      await client.connect();
      try {
        // A store still closing (a fault's trigger mid-statement) can deadlock with the drop, which
        // PostgreSQL then cancels: the drop is tried again, as a later one finds nothing in its way.
        for (let tries = 1; ; tries++) {
          try {
            await client.query(`DROP SCHEMA ${schema} CASCADE`);
            return;
          } catch (error) {
            if ((error as { code?: string }).code !== '40P01' || tries === 5) throw error;
          }
        }
      } finally {
        await client.end();
      }
    },
  };
}
