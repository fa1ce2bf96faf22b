// The store engines the shared suite runs against.
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Store } from '../../src/store/store.ts';
import { tempDir } from './service.ts';

export interface StoreEngine {
  name: string;
  open(): Promise<{ store: Store; close: () => Promise<void> }>;
}

export const STORE_ENGINES: StoreEngine[] = [
  {
    name: 'sqlite',
    async open() {
      const store = await openSqliteStore(join(tempDir(), 'store.db'));
      return { store, close: () => store.close() };
    },
  },
];
