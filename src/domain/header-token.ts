/**
 * Printable ASCII without spaces: what an HTTP header carries as it is (a bearer token, a MantaGO
 * token or secret, an Idempotency-Key). A value with a space or any other character could never be sent.
 */
export const HEADER_TOKEN_PATTERN = '^[\\x21-\\x7e]+$';
