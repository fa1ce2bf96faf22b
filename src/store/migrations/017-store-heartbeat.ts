// One row the readiness check writes: a store that answers but cannot write (a full disk, an I/O
// error, a PostgreSQL standby a failover left the replica on) refuses every order, so it is not
// ready; a read would not tell.
import { type Migration, types } from './index.ts';

export const m017: Migration = {
  version: 17,
  name: 'store_heartbeat',
  sql(engine) {
    return `CREATE TABLE store_heartbeat (id INTEGER PRIMARY KEY, beats ${types(engine).bigint} NOT NULL);`;
  },
};
