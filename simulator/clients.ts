// The simulator's Client API: the bot's users, the shop's member ids bound to them, and the
// list (filters, paging with `next`), get and bind calls as MantaGO's reference describes them.
import { BIND_FAILED_CODE, CLIENT_PATH, CLIENTS_PAGE_MAX, CLIENTS_PATH, type MantagoClientRecord } from '../src/mantago/api.ts';
import { error, type Reply } from './answers.ts';

export class ClientDirectory {
  private readonly clients: MantagoClientRecord[] = [];
  /** Every bind MantaGO accepted: (clientId, customerId), in order. */
  readonly binds: { clientId: string; customerId: string; at: number }[] = [];

  /** A user of the bot, with defaults for what the test does not care about. */
  add(client: Partial<MantagoClientRecord> & Pick<MantagoClientRecord, 'clientId'>): MantagoClientRecord {
    const now = new Date().toISOString();
    const record: MantagoClientRecord = {
      clientName: 'Simulated user',
      platform: 'line',
      isBlock: false,
      customerId: '',
      userEmail: '',
      userPhone: '',
      createdAt: now,
      updatedAt: now,
      lastInteractAt: now,
      tags: [],
      autoTags: [],
      ...client,
    };
    const existing = this.clients.findIndex((c) => c.clientId === record.clientId);
    if (existing >= 0) this.clients[existing] = record;
    else this.clients.push(record);
    return record;
  }

  /** One page of the clients bound to `customerId` (on `platform`, if given): `next` continues it. */
  list(query: URLSearchParams): { list: MantagoClientRecord[]; next?: string } | string {
    const customerId = query.get('customerId');
    const platform = query.get('platform');
    const limit = Number(query.get('limit') ?? 10);
    if (!Number.isInteger(limit) || limit < 1 || limit > CLIENTS_PAGE_MAX) return `limit must be 1 to ${CLIENTS_PAGE_MAX}`;
    const next = query.get('next');
    const offset = next ? Number(Buffer.from(next, 'base64url').toString()) : Number(query.get('offset') ?? 0);
    if (!Number.isInteger(offset) || offset < 0) return 'offset or next is not valid';
    const matching = this.clients.filter(
      (c) => (customerId === null || c.customerId === customerId) && (platform === null || c.platform === platform),
    );
    const page = matching.slice(offset, offset + limit);
    const more = offset + limit < matching.length;
    return { list: page, ...(more && { next: Buffer.from(String(offset + limit)).toString('base64url') }) };
  }

  get(clientId: string | undefined, query: URLSearchParams): MantagoClientRecord | undefined {
    const id = clientId || query.get('platformClientId');
    const platform = query.get('platform');
    return this.clients.find((c) => c.clientId === id && (platform === null || c.platform === platform));
  }

  /** MantaGO's answer to a list (CLIENTS_PATH) or get (CLIENT_PATH/:id) call; `fail` stands for an outage. */
  answerLookup(url: URL, fail: { status: number } | undefined): Reply {
    if (fail) return [fail.status, error('Get client failed', 37011)];
    if (url.pathname === CLIENTS_PATH) {
      const page = this.list(url.searchParams);
      if (typeof page === 'string') return [400, error(page)];
      return [200, { success: true, message: 'Operation completed successfully', clientList: page }];
    }
    const client = this.get(decodeURIComponent(url.pathname.slice(CLIENT_PATH.length + 1)), url.searchParams);
    return client ? [200, { success: true, message: 'Operation completed successfully', client }] : [404, error('Client not found', 37011)];
  }

  /** MantaGO's answer to a bind call; `refuse` stands for its 60001. */
  answerBind(body: Record<string, unknown>, refuse: boolean): Reply {
    if (refuse || !this.bind(body.clientId, body.customerId)) return [200, error('Bind customer failed', BIND_FAILED_CODE)];
    return [200, { success: true, message: 'Bind customer successfully' }];
  }

  /** Binds the shop's id to a known user; false for a user MantaGO does not know. */
  bind(clientId: unknown, customerId: unknown): boolean {
    const client = this.clients.find((c) => c.clientId === clientId);
    if (!client || typeof customerId !== 'string' || !customerId) return false;
    client.customerId = customerId;
    client.updatedAt = new Date().toISOString();
    this.binds.push({ clientId: client.clientId, customerId, at: Date.now() });
    return true;
  }
}
