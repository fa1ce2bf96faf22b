// At startup, the tag ids the mapping names are looked for among the bot's client tags: one MantaGO
// does not know is a warning with its place in the mapping (its jobs would die with MantaGO's
// reason). When the tags cannot be listed (MantaGO down, no usable credentials), nothing is said
// but that: the jobs still run, and die or not by MantaGO's answer.
import type { Logger } from 'pino';
import type { Clock } from '../clock.ts';
import type { MantagoTags } from '../mantago/tags.ts';

export async function checkTagIds(
  tagIds: readonly { id: string; place: string }[],
  tags: Pick<MantagoTags, 'list'>,
  log: Logger,
  clock: Clock,
  callTimeoutMs: number,
): Promise<void> {
  if (tagIds.length === 0) return;
  const listed = await tags.list(clock.now() + callTimeoutMs);
  if ('failed' in listed) {
    const failed = listed.failed;
    const why =
      failed.kind === 'credentials' ? `MantaGO credentials ${failed.renewal}` : 'message' in failed ? failed.message : failed.kind;
    log.info({ reason: why }, "mapping: the bot's client tags could not be listed, so the mapping's tag ids were not checked");
    return;
  }
  const known = new Set(listed.tags.map((t) => t.id));
  for (const { id, place } of tagIds) {
    if (!known.has(id))
      log.warn({ mapping: place, tagId: id }, 'mapping: a tag id the bot has no client tag for (its tagging will be dead)');
  }
}
