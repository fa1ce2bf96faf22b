// MantaGO's client tags, as the tagger uses them: a tag put on or taken off a user (by platform and
// the user id we send to), a tag named in the mapping found among the bot's tags or created once,
// its id remembered in the store (every replica shares it). Names being looked up at the same
// moment share one lookup, and the replica creating a tag claims its name in the store, so fifty
// orders create a new tag once. A 1004 renews the credentials once, as a broadcast does, and an old
// pair (120000) is re-read from the store; otherwise the caller is told why nothing was asked.
import { type Clock, systemClock } from '../clock.ts';
import type { TagAction, TagRef } from '../domain/tagging.ts';
import type { CallResult, Endpoint } from './client.ts';
import type { Renewal, UsableCredentials } from './renewal.ts';
import {
  CLIENT_TAG_LIST_PATH,
  CLIENT_TAG_MAPPING_DELETE_PATH,
  CLIENT_TAG_MAPPING_PATH,
  CLIENT_TAG_PATH,
  type BotTag,
  TAG_LIST_PAGE_SIZE,
} from './tag-api.ts';

/** What a tag call came to: MantaGO's answer, or why it was not asked (no usable credentials: wait for them). */
export type TagTry =
  | CallResult
  | { kind: 'credentials'; renewal: 'unavailable' | 'rejected'; retryAt: number }
  /** Another replica is creating the tag this job names: try again once it has. */
  | { kind: 'busy'; message: string; retryAt: number }
  /** A tag to take off that the bot does not have: no user carries it, so nothing to do. */
  | { kind: 'absent'; message: string };

export interface MantagoTagsDeps {
  client: {
    post(
      endpoint: Endpoint,
      path: string,
      apiToken: string,
      body: object,
      options?: { startBy?: number; query?: URLSearchParams },
    ): Promise<CallResult>;
  };
  credentials: {
    get(options?: { waitUntil?: number }): Promise<UsableCredentials | undefined>;
    expired(generation: number, options?: { waitUntil?: number }): Promise<Renewal>;
    /** After a 120000 (an old pair): re-read from the store, never refreshed. */
    superseded(generation: number, options?: { waitUntil?: number }): Promise<Renewal>;
    nextRefreshAt(): number | undefined;
  };
  store: {
    getTagId(name: string): Promise<string | undefined>;
    putTagId(name: string, tagId: string, now: number): Promise<void>;
    forgetTagId(name: string, tagId: string): Promise<void>;
    releaseTagName(name: string, owner: string): Promise<void>;
    claimTagName(name: string, owner: string, until: number, now: number): Promise<boolean>;
  };
  /** Who claims a tag's creation in the store: this process. */
  owner: string;
  /** How long a claim on a tag's creation lasts: its create and list calls (three call timeouts, and the create's start window). */
  claimMs: number;
  clock?: Clock;
}

/** The most pages of the bot's tags one lookup reads. */
const MAX_PAGES = 50;
/** How soon to look for usable credentials again when no refresh is scheduled. */
const CREDENTIALS_RETRY_MS = 30_000;
/** How soon after claiming a tag's name its create must start: the claim (claimMs) is a margin longer than the calls after it. */
const CREATE_START_WITHIN_MS = 5_000;
/** How soon a job waiting for another replica's creation of its tag looks again. */
const BUSY_RETRY_MS = 1_000;

export class MantagoTags {
  private readonly deps: MantagoTagsDeps;
  private readonly clock: Clock;
  private readonly naming = new Map<string, Promise<{ tagId: string } | { failed: TagTry }>>();

  constructor(deps: MantagoTagsDeps) {
    this.deps = deps;
    this.clock = deps.clock ?? systemClock;
  }

  /** Puts `tag` on the user (or takes it off): MantaGO's answer, and the tag's id once known. */
  async apply(
    action: TagAction,
    tag: TagRef,
    user: { platform: string; clientId: string },
    startBy: number,
    again = true,
  ): Promise<{ result: TagTry; tagId?: string }> {
    // A tag to take off is never created for it: absent from the bot, no user carries it.
    const found =
      'id' in tag ? { tagId: tag.id } : action === 'add' ? await this.idOf(tag.name, startBy) : await this.known(tag.name, startBy);
    if (!found)
      return { result: { kind: 'absent', message: `the bot has no tag named ${'name' in tag ? tag.name : ''}: nothing to take off` } };
    if ('failed' in found) return { result: found.failed };
    const path = action === 'add' ? CLIENT_TAG_MAPPING_PATH : CLIENT_TAG_MAPPING_DELETE_PATH;
    const body = { tagId: found.tagId, platform: user.platform, platformClientId: user.clientId };
    const result = await this.call(
      (pair) => this.deps.client.post('tag', path, pair.apiToken, { secret: pair.apiSecret, ...body }, { startBy }),
      startBy,
    );
    // A 404 may mean the remembered id is gone (the tag deleted, perhaps made again, in the
    // dashboard) or the user is unknown: the bot's list tells. An id it no longer shows is forgotten
    // and the name looked up again, once; one it still shows was not the trouble.
    if ('name' in tag && result.kind === 'refused' && result.status === 404 && result.code === undefined && again) {
      const listed = await this.find(tag.name, startBy);
      if (listed && 'tagId' in listed && listed.tagId === found.tagId) return { result, tagId: found.tagId };
      if (!listed) await this.deps.store.forgetTagId(tag.name, found.tagId);
      if (listed && 'failed' in listed) return { result: listed.failed, tagId: found.tagId };
      return this.apply(action, tag, user, startBy, false);
    }
    return { result, tagId: found.tagId };
  }

  /** The id of the tag named `name` if the bot has it (remembered, or in its list); never created. */
  private async known(name: string, startBy: number): Promise<{ tagId: string } | { failed: TagTry } | undefined> {
    const remembered = await this.deps.store.getTagId(name);
    return remembered !== undefined ? { tagId: remembered } : this.find(name, startBy);
  }

  /** Every tag of the bot, or why MantaGO could not say (startup's check of the mapping's ids). */
  async list(startBy: number): Promise<{ tags: BotTag[] } | { failed: TagTry }> {
    const tags: BotTag[] = [];
    for (let page = 1; page <= MAX_PAGES; page++) {
      const query = new URLSearchParams({ page: String(page), perpage: String(TAG_LIST_PAGE_SIZE) });
      const result = await this.call(
        (pair) => this.deps.client.post('tag_list', CLIENT_TAG_LIST_PATH, pair.apiToken, { secret: pair.apiSecret }, { startBy, query }),
        startBy,
      );
      if (result.kind !== 'ok') return { failed: result };
      const list = result.body.clientTagList;
      if (Array.isArray(list)) tags.push(...(list as BotTag[]).filter((t) => typeof t?.id === 'string' && typeof t.name === 'string'));
      const pagination = result.body.pagination as { hasNext?: unknown } | undefined;
      if (pagination?.hasNext !== true) break;
    }
    return { tags };
  }

  /** The id of the tag named `name`: remembered, found in the bot's list, or created and then found. */
  private async idOf(name: string, startBy: number): Promise<{ tagId: string } | { failed: TagTry }> {
    const known = await this.deps.store.getTagId(name);
    if (known !== undefined) return { tagId: known };
    let naming = this.naming.get(name);
    if (!naming) {
      naming = this.findOrCreate(name, startBy).finally(() => this.naming.delete(name));
      this.naming.set(name, naming);
    }
    return naming;
  }

  private async findOrCreate(name: string, startBy: number): Promise<{ tagId: string } | { failed: TagTry }> {
    const before = await this.find(name, startBy);
    if (before) return before;
    const now = this.clock.now();
    if (!(await this.deps.store.claimTagName(name, this.deps.owner, now + this.deps.claimMs, now))) {
      const known = await this.deps.store.getTagId(name);
      if (known !== undefined) return { tagId: known };
      return { failed: { kind: 'busy', message: `another replica is creating tag ${name}`, retryAt: now + BUSY_RETRY_MS } };
    }
    // Begun soon after the claim or not at all: one held up longer (waiting for credentials, a call
    // slot) could outlast the claim, and another replica, finding no tag, would create it too.
    const createBy = Math.min(startBy, now + CREATE_START_WITHIN_MS);
    const created = await this.call(
      (pair) =>
        this.deps.client.post('tag_create', CLIENT_TAG_PATH, pair.apiToken, { secret: pair.apiSecret, name }, { startBy: createBy }),
      createBy,
    );
    if (created.kind === 'not_started' || created.kind === 'unreachable' || created.kind === 'credentials' || created.kind === 'busy') {
      // Not made for certain (never asked, or refused without a doubt): the claim is let go, so the
      // next try creates it. One that went unanswered may have been made: its claim runs out first.
      if (created.kind !== 'unreachable') await this.deps.store.releaseTagName(name, this.deps.owner);
      return { failed: created };
    }
    // MantaGO answers a create with no id: the list has it (also when another replica made it first).
    const after = await this.find(name, startBy);
    if (after) return after;
    if (created.kind !== 'ok') {
      await this.deps.store.releaseTagName(name, this.deps.owner); // refused, and not in the list: not made
      return { failed: created };
    }
    return {
      failed: {
        kind: 'refused',
        status: 502,
        durationMs: 0,
        message: `tag ${name} was created but MantaGO's list does not show it`,
        retryAfterMs: undefined,
      },
    };
  }

  /** The tag named `name` in the bot's list, remembered; undefined when absent; the failure when MantaGO could not say. */
  private async find(name: string, startBy: number): Promise<{ tagId: string } | { failed: TagTry } | undefined> {
    const listed = await this.list(startBy);
    if ('failed' in listed) return listed;
    const tag = listed.tags.find((t) => t.name === name);
    if (!tag) return undefined;
    await this.deps.store.putTagId(name, tag.id, this.clock.now());
    return { tagId: tag.id };
  }

  /** One call with usable credentials, renewing them once if MantaGO says they expired. */
  private async call(make: (pair: UsableCredentials) => Promise<CallResult>, startBy: number): Promise<TagTry> {
    const { credentials } = this.deps;
    const wait = (renewal: 'unavailable' | 'rejected'): TagTry => ({
      kind: 'credentials',
      renewal,
      retryAt: credentials.nextRefreshAt() ?? this.clock.now() + CREDENTIALS_RETRY_MS,
    });
    const pair = await credentials.get({ waitUntil: startBy });
    if (!pair) return wait('rejected');
    const result = await make(pair);
    if (result.kind !== 'expired' && result.kind !== 'superseded') return result;
    // An old pair (120000) is re-read from the store, never refreshed.
    const renewal = await (result.kind === 'superseded'
      ? credentials.superseded(pair.generation, { waitUntil: startBy })
      : credentials.expired(pair.generation, { waitUntil: startBy }));
    const renewed = renewal === 'renewed' ? await credentials.get({ waitUntil: startBy }) : undefined;
    if (!renewed) return wait(renewal === 'rejected' ? 'rejected' : 'unavailable');
    return make(renewed);
  }
}
