// Admin routes need `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time (both sides
// hashed first, so neither the token's length nor its bytes leak through timing).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { httpError } from '../errors.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

export function requireAdminToken(token: string) {
  const expected = digest(token);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const given = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
    if (given && timingSafeEqual(digest(given), expected)) return;
    reply.header('www-authenticate', 'Bearer realm="admin"');
    throw httpError('UNAUTHORIZED', given ? 'the admin token is wrong' : 'admin routes need Authorization: Bearer <ADMIN_TOKEN>');
  };
}
