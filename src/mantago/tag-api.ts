// MantaGO's client tag API as its docs describe it (https://doc.mantago.cc, "Client Tags"): create a
// tag, list the bot's tags, put a tag on a user and take it off. Shared by the client side
// (tags.ts) and the simulator so both speak the same contract. Every call is a POST with `botId`
// in the query and the secret in the body.

/** `{secret, name}` → `{success, message}` only: the new tag's id comes from the list. */
export const CLIENT_TAG_PATH = '/api/openapi/clientTag';
/** `{secret}`, `page` and `perpage` in the query → `{clientTagList: [{id, name, botId}], pagination}`. */
export const CLIENT_TAG_LIST_PATH = '/api/openapi/clientTag/list';
/** `{secret, tagId, platform, platformClientId}` (or `clientId`) → `{success, message}`. */
export const CLIENT_TAG_MAPPING_PATH = '/api/openapi/clientTagMapping';
export const CLIENT_TAG_MAPPING_DELETE_PATH = '/api/openapi/clientTagMapping/delete';

/** The calls' names as metrics label them (beside broadcast, token, clients, bind). */
export const TAG_ENDPOINTS = ['tag', 'tag_list', 'tag_create'] as const;

/** Tags per page of the list the service asks for. */
export const TAG_LIST_PAGE_SIZE = 100;

export interface BotTag {
  id: string;
  name: string;
  botId: string;
}

export interface Pagination {
  totalPages: number;
  currentPage: number;
  hasPre: boolean;
  hasNext: boolean;
}

export interface ClientTagMappingRequest {
  secret: string;
  tagId: string;
  clientId?: string;
  platform?: string;
  platformClientId?: string;
}
