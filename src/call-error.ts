// What a failed outbound call (MantaGO, a shop's API) is called in a message: undici's code
// (ECONNREFUSED, UND_ERR_HEADERS_TIMEOUT …), else the error's name. A DOMException's code is a
// number (23 for an AbortSignal timeout) that would tell the operator nothing.

export function callErrorName(error: unknown): string | undefined {
  const e = error as { code?: unknown; name?: string };
  return typeof e.code === 'string' ? e.code : e.name;
}
