// The simulator's client tags, as MantaGO's "Client Tags" reference describes them: create (the
// answer has no id), list with page/perpage and `pagination`, put a tag on a user and take it off
// (by clientId, or platform + platformClientId). Tests read what it holds: `tags`, `tagsOf(user)`,
// and `changes` (every accepted put and take, in order).
import { randomBytes } from 'node:crypto';
import { CLIENT_PLATFORMS } from '../src/mantago/api.ts';
import {
  CLIENT_TAG_LIST_PATH,
  CLIENT_TAG_MAPPING_DELETE_PATH,
  CLIENT_TAG_MAPPING_PATH,
  CLIENT_TAG_PATH,
  type BotTag,
} from '../src/mantago/tag-api.ts';
import { error, type Reply } from './answers.ts';

export const TAG_PATHS = [CLIENT_TAG_PATH, CLIENT_TAG_LIST_PATH, CLIENT_TAG_MAPPING_PATH, CLIENT_TAG_MAPPING_DELETE_PATH];

const userKey = (platform: string, clientId: string) => `${platform}\u001f${clientId}`;

export class ClientTagBook {
  private readonly botId: string;
  /** The bot's client tags, in the order they were made. */
  readonly tags: BotTag[] = [];
  /** Every tag put on (`add`) or taken off (`remove`) a user that MantaGO accepted, in order. */
  readonly changes: { action: 'add' | 'remove'; tagId: string; platform: string; clientId: string }[] = [];
  private readonly carried = new Map<string, Set<string>>();

  constructor(botId: string) {
    this.botId = botId;
  }

  /** A tag made in the dashboard (with the id a test chooses, or one of MantaGO's own). */
  create(name: string, id = `ct${randomBytes(6).toString('hex')}`): BotTag {
    const tag = { id, name, botId: this.botId };
    this.tags.push(tag);
    return tag;
  }

  /** The names of the tags a user carries now. */
  tagsOf(platform: string, clientId: string): string[] {
    const ids = this.carried.get(userKey(platform, clientId)) ?? new Set();
    return this.tags.filter((t) => ids.has(t.id)).map((t) => t.name);
  }

  /** MantaGO's answer to a tag call; `refusedClientIds` are users MantaGO does not know. */
  answer(path: string, query: URLSearchParams, body: Record<string, unknown>, refusedClientIds: readonly string[]): Reply {
    if (path === CLIENT_TAG_PATH) return this.answerCreate(body.name);
    if (path === CLIENT_TAG_LIST_PATH) return this.answerList(query);
    return this.answerMapping(path === CLIENT_TAG_MAPPING_PATH ? 'add' : 'remove', body, refusedClientIds);
  }

  private answerCreate(name: unknown): Reply {
    if (typeof name !== 'string' || !name.trim()) return [400, error('name is required')];
    // The docs' answer to a create that failed: 403, "Permission denied or client tag creation failed".
    if (this.tags.some((t) => t.name === name)) return [403, error('Client tag creation failed: the name is taken')];
    this.create(name);
    return [200, { success: true, message: 'Create client tag successfully' }];
  }

  private answerList(query: URLSearchParams): Reply {
    const page = Number(query.get('page') ?? 1);
    const perpage = Number(query.get('perpage') ?? 10);
    if (!Number.isInteger(page) || page < 1 || !Number.isInteger(perpage) || perpage < 1 || perpage > 100)
      return [400, error('page and perpage must be positive integers (perpage at most 100)')];
    const totalPages = Math.max(1, Math.ceil(this.tags.length / perpage));
    const clientTagList = this.tags.slice((page - 1) * perpage, page * perpage);
    const pagination = { totalPages, currentPage: page, hasPre: page > 1, hasNext: page < totalPages };
    return [200, { success: true, message: 'Operation completed successfully', clientTagList, pagination }];
  }

  private answerMapping(action: 'add' | 'remove', body: Record<string, unknown>, refusedClientIds: readonly string[]): Reply {
    const { tagId, clientId, platform, platformClientId } = body;
    if (typeof tagId !== 'string' || !tagId) return [400, error('tagId is required')];
    const byPlatform = typeof platform === 'string' && typeof platformClientId === 'string' && platformClientId !== '';
    if (!byPlatform && (typeof clientId !== 'string' || !clientId))
      return [400, error("Either provide 'clientId' OR both 'platform' and 'platformClientId'")];
    if (byPlatform && !(CLIENT_PLATFORMS as readonly string[]).includes(platform as string))
      return [400, error(`platform must be one of ${CLIENT_PLATFORMS.join(', ')}`)];
    const user = byPlatform
      ? { platform: platform as string, clientId: platformClientId as string }
      : { platform: '', clientId: clientId as string };
    if (!this.tags.some((t) => t.id === tagId)) return [404, error('Client tag not found')];
    if (refusedClientIds.includes(user.clientId)) return [404, error('Client not found')];
    const key = userKey(user.platform, user.clientId);
    const carried = this.carried.get(key) ?? new Set<string>();
    if (action === 'add') carried.add(tagId);
    else carried.delete(tagId);
    this.carried.set(key, carried);
    this.changes.push({ action, tagId, ...user });
    return [200, { success: true, message: `${action === 'add' ? 'Create' : 'Delete'} client tag mapping successfully` }];
  }
}
