// MantaGO's open API as its public docs describe it (https://doc.mantago.cc): what we send and
// what comes back. Shared by the client and the simulator so both speak the same contract.
import type { Platform } from '../domain/recipient.ts';

export const BROADCAST_PATH = '/api/openapi/broadcast';
export const TOKEN_PATH = '/api/openapi/token';
/** `errResponse.code` for "Token is invalid or expired", whatever the HTTP status. */
export const TOKEN_EXPIRED_CODE = 1004;
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
