// Wakes every replica's worker when a delivery becomes due anywhere: NOTIFY after the commit,
// LISTEN on one dedicated session. If that session is lost the workers still poll; it reconnects.
import pg from 'pg';

const RECONNECT_MS = 1_000;

export class DueNotifications {
  private readonly config: pg.ClientConfig;
  private readonly channel: string;
  private readonly pool: pg.Pool;
  private readonly onChange: ((connected: boolean, error?: Error) => void) | undefined;
  private readonly listeners = new Set<() => void>();
  private client: pg.Client | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(config: pg.ClientConfig, channel: string, pool: pg.Pool, onChange?: (connected: boolean, error?: Error) => void) {
    this.config = config;
    this.channel = channel;
    this.pool = pool;
    this.onChange = onChange;
  }

  async start(): Promise<void> {
    const client = new pg.Client(this.config);
    const lost = (error?: Error) => {
      if (this.client !== client) return;
      this.client = undefined;
      client.end().catch(() => undefined);
      if (this.stopped) return;
      this.onChange?.(false, error);
      this.reconnect = setTimeout(() => void this.start().catch((e: Error) => lost(e)), RECONNECT_MS);
      this.reconnect.unref();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    client.on('notification', () => this.emit());
    this.client = client;
    await client.connect();
    await client.query(`LISTEN "${this.channel.replaceAll('"', '""')}"`);
    this.onChange?.(true);
    this.emit(); // anything that fell due while no one listened
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** After a commit that made deliveries due: wake this replica at once, the others through NOTIFY. */
  async notify(): Promise<void> {
    this.emit();
    // Not awaited: the webhooks of the commit are answered without a round trip that only wakes
    // the other replicas, which also poll.
    void this.pool.query('SELECT pg_notify($1, $2)', [this.channel, '']).catch(() => undefined);
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnect);
    this.listeners.clear();
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }
}
