// The keys a customer is known by in the recipient directory and in `static` entries:
// `customer:<shop customer id>`, `email:<lower-cased address>`, `phone:<digits>`.
import type { Customer } from '../domain/order.ts';

/** The keys a customer can be known by, most specific first. */
export function customerKeys(customer: Customer): string[] {
  const keys: string[] = [];
  if (customer.id) keys.push(`customer:${customer.id}`);
  if (customer.email) keys.push(`email:${customer.email.trim().toLowerCase()}`);
  const digits = customer.phone?.replace(/\D/g, '');
  if (digits) keys.push(`phone:${digits}`);
  return keys;
}

/** What is wrong with a key, if anything. */
export function directoryKeyProblem(key: string): string | undefined {
  // The store cannot keep it (PostgreSQL's text refuses it; SQLite's reads stop at it): the key would not be the one given.
  if (key.includes('\u0000')) return 'key must not contain U+0000 (NUL)';
  const [kind, ...rest] = key.split(':');
  const value = rest.join(':');
  if (!value) return 'key must be customer:<id>, email:<address> or phone:<digits>';
  // Keys are matched as customerKeys makes them: a space in one would never match.
  if (kind === 'customer') return value === value.trim() ? undefined : 'customer keys hold the id without spaces around it';
  if (kind === 'email')
    return value === value.toLowerCase() && value.includes('@') && !/\s/.test(value)
      ? undefined
      : 'email keys are lower-case addresses without spaces, e.g. email:vip@example.com';
  if (kind === 'phone') return /^\d{4,20}$/.test(value) ? undefined : 'phone keys are digits only, e.g. phone:886912345678';
  return 'key must start with customer:, email: or phone:';
}
