// Numbered migrations, one list for both engines: each is applied once, in order, and recorded in
// schema_migrations. Where the engines' SQL differs (types, rebuilding a table), a migration says
// so through the dialect's name; the enumerations in CHECKs come from the domain.
import { m001 } from './001-deliveries-attempts-credentials.ts';
import { m002 } from './002-recipients-redrive-retention.ts';
import { m003 } from './003-dedupe-key-refresh-claim.ts';
import { m004 } from './004-shopify-global-order-ids.ts';
import { m005 } from './005-idempotency-keys.ts';
import { m006 } from './006-journey-members.ts';
import { m007 } from './007-finished-index-by-finished-at.ts';
import { m008 } from './008-order-number.ts';
import { m009 } from './009-lease-until.ts';
import { m011 } from './011-shop-connections.ts';
import { m012 } from './012-withdrawal-opt-out.ts';
import { m013 } from './013-tag-jobs.ts';
import { m014 } from './014-tag-jobs-by-user-and-tag.ts';
import { m015 } from './015-tag-jobs-recovery.ts';
import { m016 } from './016-woocommerce-site-scheme.ts';
import { m017 } from './017-store-heartbeat.ts';
import { m018 } from './018-pruned-endings.ts';
import { m019 } from './019-tag-jobs-redriven-at.ts';
import { m020 } from './020-finished-beyond-orders.ts';

export interface Migration {
  version: number;
  name: string;
  sql(engine: 'sqlite' | 'postgres'): string;
}

export const MIGRATIONS: readonly Migration[] = [
  m001,
  m002,
  m003,
  m004,
  m005,
  m006,
  m007,
  m008,
  m009,
  m011,
  m012,
  m013,
  m014,
  m015,
  m016,
  m017,
  m018,
  m019,
  m020,
];

/** The engine's spelling of the column types the migrations use. */
export function types(engine: 'sqlite' | 'postgres') {
  return engine === 'sqlite'
    ? { id: 'INTEGER PRIMARY KEY', bigint: 'INTEGER', ref: 'INTEGER' }
    : { id: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY', bigint: 'BIGINT', ref: 'BIGINT' };
}

export { oneOf } from '../runner.ts';
