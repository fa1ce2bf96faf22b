// DATABASE_URL picks the engine: postgres:// or postgresql:// for PostgreSQL, a file path for SQLite.

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url);
}

/**
 * A connection string that is not a postgres:// URL would be opened as a SQLite file named after it,
 * its password written into the path, the error messages and the startup log: refused instead,
 * naming only its form (the value may hold the password).
 */
export function databaseUrlProblem(value: string): string | undefined {
  if (isPostgresUrl(value)) return undefined;
  // Not even the scheme is shown: `user:password@host` has none, and would show its user.
  if (/^[a-z][a-z0-9+.-]*:/i.test(value))
    return "a SQLite file path or a postgres:// URL is read, not a URL or connection string of another scheme (write PostgreSQL's as postgres://user:password@host/database)";
  if (/(^|\s)(host|user|dbname|password)=/i.test(value))
    return 'a SQLite file path or a postgres:// URL is read, not "key=value" connection parameters (write them as postgres://user:password@host/database)';
  return undefined;
}
