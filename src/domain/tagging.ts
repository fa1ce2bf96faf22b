// Tagging: a rule's `tag: { add: [...], remove: [...] }` puts MantaGO client tags on (or takes them
// off) the user an order event's message is for. One job per (order event, user, tag, add/remove),
// stored with the event and worked through like a message, but never holding it back.
import type { Recipient } from './recipient.ts';

/** Whether a job puts the tag on the user or takes it off. */
export const TAG_ACTIONS = ['add', 'remove'] as const;
export type TagAction = (typeof TAG_ACTIONS)[number];

/** A tag as the mapping names it: its id from the dashboard, or its name (found, or created once). */
export type TagRef = { id: string } | { name: string };
export interface TagOp {
  action: TagAction;
  tag: TagRef;
}

/** What the mapping decided to tag for one order event: the user, and each tag to put on or take off. */
export interface Tagging {
  recipient: Recipient;
  ops: TagOp[];
}

/** Where a tag job stands: `tagged` (done, or recorded under DRY_RUN) and `dead` are ends. */
export const TAG_JOB_STATUSES = ['pending', 'tagged', 'dead'] as const;
export type TagJobStatus = (typeof TAG_JOB_STATUSES)[number];

/**
 * What one try of a tag job came to: `tagged`; `dry_run` (DRY_RUN: recorded, MantaGO not called);
 * `failed` (retried, or dead at the bounds); `refused` (MantaGO refused it for good: dead with its
 * reason); `credentials_unavailable` (no usable pair: waits, uncounted).
 */
export const TAG_ATTEMPT_OUTCOMES = ['tagged', 'dry_run', 'failed', 'refused', 'credentials_unavailable'] as const;
export type TagAttemptOutcome = (typeof TAG_ATTEMPT_OUTCOMES)[number];

/** The key a tag is known by in a job: `id:<tag id>` or `name:<tag name>`. */
export const tagKey = (tag: TagRef): string => ('id' in tag ? `id:${tag.id}` : `name:${tag.name}`);
export const tagOfKey = (key: string): TagRef => (key.startsWith('id:') ? { id: key.slice(3) } : { name: key.slice(5) });

/** A tag job a worker has leased. */
export interface TagJob {
  id: number;
  deliveryId: number;
  platform: string;
  clientId: string;
  action: TagAction;
  tag: TagRef;
  /** Counted tries so far. */
  attempts: number;
  /** When it was stored, or last tried again by the operator (the age bound counts from here). */
  waitingSince: number;
  /** The claim it was taken under: only that claim records how it went. */
  owner: string;
}

/** One try of a tag job, written once. */
export interface TagAttempt {
  startedAt: number;
  durationMs: number;
  outcome: TagAttemptOutcome;
  httpStatus: number | null;
  error: string | null;
}

/** How one try of a tag job went: where the job goes, and the try itself (none when handed back untried). */
export interface TagTryRecord {
  status: TagJobStatus;
  /** Whether the try counts against the attempt bound. */
  counted: boolean;
  /** Pending: when it is due again. */
  nextAttemptAt: number | null;
  error: string | null;
  /** The tag's id in MantaGO, once known (a tag named in the mapping). */
  tagId?: string;
  attempt?: TagAttempt;
}

/** A tag job as the operator sees it, with every try. */
export interface TagJobRecord {
  id: number;
  /** The order event's delivery it was queued with. */
  deliveryId: number;
  action: TagAction;
  tag: string;
  /** The tag's id in MantaGO, once known. */
  tagId: string | null;
  platform: string;
  clientId: string;
  status: TagJobStatus;
  attempts: number;
  nextAttemptAt: number | null;
  /** When it reached its end (tagged or dead). */
  finishedAt: number | null;
  lastError: string | null;
  attemptLog: TagAttempt[];
}

/**
 * What the operator's retry of a tag job did: `requeued` (a dead job starts over, a waiting one is
 * due now), `superseded` (a dead job a later job of its user and tag decides: ended `tagged`, not
 * tried), or nothing: `tagged` (done already), `in_flight` (being tried now).
 */
export type TagRetryOutcome = 'requeued' | 'superseded' | 'tagged' | 'in_flight';
