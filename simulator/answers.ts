// What the simulator answers: MantaGO's success and error envelopes, and the checks of a
// broadcast body as MantaGO's docs describe them.
import { FB_TAGS, MESSAGE_MAX_LENGTH } from '../src/domain/content.ts';
import { isValidUserId, PLATFORMS, type Platform } from '../src/domain/recipient.ts';
import { MANTAGO_CODES } from '../src/mantago/error-codes.ts';

export type Answer =
  | { success: true; [key: string]: unknown }
  | { success: false; errResponse: { message: string; code?: number; botId?: string } };
/** Status, body and extra headers of one answer. */
export type Reply = [number, Answer, Record<string, string>?];

export const error = (message: string, code?: number): Answer => ({
  success: false,
  errResponse: { message, ...(code !== undefined && { code }) },
});

export interface ReceivedBroadcast {
  at: number;
  platform: Platform;
  clientIds: string[];
  intentId?: string;
  message?: string;
  fbTag?: string;
  name?: string;
}

/** MantaGO's answer to a request without a field it requires: 400, code 110000. */
export const fieldsMissing = (fields: string[]): Reply => [
  400,
  error(`Required fields missing: ${fields.join(', ')}`, MANTAGO_CODES.FIELDS_MISSING),
];

/** The fields a broadcast must have that `body` lacks. */
export function missingBroadcastFields(body: Record<string, unknown>): string[] {
  const missing = ['platform', 'clientIds', 'name'].filter((field) => body[field] === undefined);
  return body.intentId === undefined && body.message === undefined ? [...missing, 'intentId or message'] : missing;
}

/** The broadcast in a request body, or why MantaGO would refuse it (400). */
export function parseBroadcast(body: Record<string, unknown>, now: number): ReceivedBroadcast | string {
  const { platform, intentId, message, clientIds, fbTag, name } = body;
  if (!PLATFORMS.includes(platform as Platform)) return `platform must be one of ${PLATFORMS.join(', ')}`;
  if ((intentId === undefined) === (message === undefined)) return 'Exactly one of intentId or message is required';
  if (intentId !== undefined && (typeof intentId !== 'string' || !intentId)) return 'intentId must be a non-empty string';
  if (message !== undefined && (typeof message !== 'string' || !message || message.length > MESSAGE_MAX_LENGTH))
    return `message must be 1 to ${MESSAGE_MAX_LENGTH} characters`;
  if (platform === 'facebook' && !FB_TAGS.includes(fbTag as (typeof FB_TAGS)[number])) return 'fbTag is required for facebook';
  if (typeof name !== 'string' || !name) return 'name is required';
  if (!Array.isArray(clientIds) || clientIds.length === 0 || !clientIds.every((id) => typeof id === 'string')) {
    return 'clientIds must be a non-empty array of strings';
  }
  const ids = clientIds as string[];
  if (ids.some((id) => !isValidUserId(platform as Platform, id)))
    return `clientIds contains an id that is not a ${String(platform)} user id`;
  return {
    at: now,
    platform: platform as Platform,
    clientIds: ids,
    ...(intentId !== undefined && { intentId: intentId as string }),
    ...(message !== undefined && { message: message as string }),
    ...(fbTag !== undefined && { fbTag: fbTag as string }),
    name,
  };
}
