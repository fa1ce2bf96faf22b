// DATABASE_URL picks the engine: postgres:// or postgresql:// for PostgreSQL, a file path for SQLite.

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/**
 * A connection string that is not a postgres:// URL would be opened as a SQLite file named after it,
 * its password written into the path, the error messages and the startup log: refused instead,
 * naming only its form (the value may hold the password; not even its scheme is shown, since
 * `user:password@host` has none and would show its user). A path with a colon
 * (`backup:2024/n.db`) is still a path: only a URL's `//` or a `user@` makes it a URL.
 */
export function databaseUrlProblem(value: string): string | undefined {
  if (isPostgresUrl(value)) return undefined;
  if (/^file:/i.test(value)) return 'a SQLite file is named by its path, without file: (./data/notifier.db)';
  if (/^[a-z][a-z0-9+.-]*:/i.test(value) && (value.includes('://') || value.includes('@')))
    return "a SQLite file path or a postgres:// URL is read, not a URL or connection string of another scheme (write PostgreSQL's as postgres://user:password@host/database)";
  if (/^\s*(host|hostaddr|user|dbname|password|port)=|\spassword=/i.test(value))
    return 'a SQLite file path or a postgres:// URL is read, not "key=value" connection parameters (write them as postgres://user:password@host/database)';
  return undefined;
}
