// The chat platforms MantaGO broadcasts to, and what their user ids look like.
export const PLATFORMS = ['line', 'facebook'] as const;
export type Platform = (typeof PLATFORMS)[number];

const USER_ID: Record<Platform, RegExp> = {
  line: /^U[0-9a-f]{32}$/, // LINE user id
  facebook: /^\d{1,32}$/, // Messenger page-scoped id (PSID)
};

export function isValidUserId(platform: Platform, userId: string): boolean {
  return USER_ID[platform].test(userId);
}
