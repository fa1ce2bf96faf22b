// Text a far end sends back (MantaGO's message, a shop's error) without the secrets we sent it: a far
// end or a proxy may echo the request, and the text is stored with attempts, shown by the admin API
// and logged. Cut before any shortening, which could leave a part of one. And a URL setting as shown
// (the startup log, the admin API) without a password written into it.

/** `text` with every secret of 4 characters or more replaced by `[redacted]` (shorter ones would mangle plain words). */
export function withoutSecrets(text: string, secrets: readonly string[]): string {
  let shown = text;
  for (const secret of secrets) if (secret.length >= 4) shown = shown.replaceAll(secret, '[redacted]');
  return shown;
}

/**
 * `user:password@` and `password=` / `sslpassword=` parameters, masked. Read as text, not parsed: a
 * password may hold `@`, `#`, `/` or `?` unencoded, which a parser would take for other parts.
 */
export function maskUrlPassword(value: string): string {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return value; // a file path
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*):.*@/i, '$1:***@').replace(/(password=)[^&#]*/gi, '$1***');
}

/**
 * Another app's webhook address, as the admin API shows it: its origin only. Such addresses often
 * carry that app's own token in the path or the query (`/hooks/catch/123/abc`, `?key=`), which is
 * not ours to show; where it points is what an operator needs.
 */
export function addressOrigin(address: string): string {
  try {
    const url = new URL(address);
    return url.pathname === '/' && !url.search ? url.origin : `${url.origin}/…`;
  } catch {
    return '(not a URL)';
  }
}
