// MantaGO's open API as its public docs describe it (https://doc.mantago.cc): what we send and
// what comes back. Shared by the client and the simulator so both speak the same contract.
import type { Platform } from '../domain/recipient.ts';
import { MANTAGO_CODES } from './error-codes.ts';
import { HEADER_TOKEN_PATTERN } from '../domain/header-token.ts';

export const BROADCAST_PATH = '/api/openapi/broadcast';
export const TOKEN_PATH = '/api/openapi/token';
/** `errResponse.code` for "Token is invalid or expired", whatever the HTTP status (error-codes.ts names every code). */
export const TOKEN_EXPIRED_CODE = MANTAGO_CODES.TOKEN_EXPIRED;
/** A token or secret as MantaGO issues them (each goes into a header or a body on every call). */
const credential = new RegExp(HEADER_TOKEN_PATTERN);
export const isCredential = (value: unknown): value is string => typeof value === 'string' && credential.test(value);
/** Tokens last 30 days; a token whose `exp` cannot be read is assumed to last that long. */
export const TOKEN_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

export interface BroadcastRequest {
  secret: string;
  botId?: string;
  intentId?: string;
  message?: string;
  clientIds: string[];
  platform: Platform;
  fbTag?: string;
  name: string;
}

export interface TokenRequest {
  secret: string;
}

export interface ErrorReply {
  success: false;
  errResponse: { message: string; code?: number; botId?: string };
}
export type BroadcastReply = { success: true; message: string } | ErrorReply;
export type TokenReply = { success: true; apiToken: string; apiSecret: string } | ErrorReply;

// The Client API: the bot's users and the shop's member ids bound to them.
export const CLIENTS_PATH = '/api/openapi/clients';
/** One client: `${CLIENT_PATH}/${clientId}`. */
export const CLIENT_PATH = '/api/openapi/client';
export const BIND_PATH = '/api/openapi/bind/customer';
/** `errResponse.code` of a bind MantaGO refused. */
export const BIND_FAILED_CODE = MANTAGO_CODES.BIND_FAILED;
/** The platforms a MantaGO client can be on; the service broadcasts to `line` and `facebook` only. */
export const CLIENT_PLATFORMS = ['line', 'facebook', 'instagram', 'liveChat', 'whatsapp'] as const;
export type ClientPlatform = (typeof CLIENT_PLATFORMS)[number];

/** A tag on a client, manual or automatic, as the Client API shows one. */
export interface ClientTag {
  name: string;
  createdAt: string;
}
/** The most clients one page of the list holds. */
export const CLIENTS_PAGE_MAX = 100;

/** A user of the bot, as MantaGO's Client API describes one. */
export interface MantagoClientRecord {
  /** The LINE user id or the Messenger PSID. */
  clientId: string;
  clientName: string;
  platform: ClientPlatform;
  /** The user blocked the bot. */
  isBlock: boolean;
  /** The shop's own id bound to this user; may be empty. */
  customerId: string;
  userEmail: string;
  userPhone: string;
  createdAt: string;
  updatedAt: string;
  lastInteractAt: string;
  tags: ClientTag[];
  autoTags: ClientTag[];
}

export type ClientListReply = { success: true; message: string; clientList: { list: MantagoClientRecord[]; next?: string } } | ErrorReply;
export type ClientReply = { success: true; message: string; client: MantagoClientRecord } | ErrorReply;
export type BindReply = { success: true; message: string } | ErrorReply;
