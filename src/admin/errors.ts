/**
 * The admin API's one error shape: { error: { code: 'HUBTLS_…', message, hint? } }. Every failure —
 * bad token, schema violation, unknown endpoint/chain/profile, unknown route, a bug — leaves here.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { HubtlsError, isHubtlsError } from '../errors.js';

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ pattern: '^HUBTLS_[A-Z0-9_]+$', description: 'stable code to grep for' }),
      message: Type.String(),
      hint: Type.Optional(Type.String({ description: 'what to do about it' })),
    }),
  },
  { $id: 'Error', description: 'every admin API error' },
);

/** A HubtlsError with the HTTP status the API answers it with. */
export class ApiError extends HubtlsError {
  constructor(
    readonly statusCode: number,
    code: string,
    message: string,
    hint?: string,
  ) {
    super(code, message, hint);
  }
}

export function sendError(
  reply: FastifyReply,
  status: number,
  e: { code: string; message: string; hint?: string },
): FastifyReply {
  const error = e.hint ? { code: e.code, message: e.message, hint: e.hint } : { code: e.code, message: e.message };
  return reply.code(status).type('application/json').send({ error });
}

function fromFastify(e: FastifyError): { status: number; code: string; message: string; hint?: string } {
  if (e.validation)
    return {
      status: 400,
      code: 'HUBTLS_ADMIN_BAD_REQUEST',
      message: `${e.validationContext ?? 'request'} ${e.message.replace(/^(body|querystring|params)\/?/, '')}`.trim(),
      hint: 'see the schema at /docs/json',
    };
  if (e.statusCode && e.statusCode < 500)
    return { status: e.statusCode, code: 'HUBTLS_ADMIN_BAD_REQUEST', message: e.message };
  return { status: 500, code: 'HUBTLS_ADMIN_INTERNAL', message: `internal error: ${e.message}` };
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((e: FastifyError, _req, reply) => {
    // Configuration errors a user can cause (unknown chain, profile, root, device id) are 4xx.
    if (isHubtlsError(e)) return sendError(reply, e instanceof ApiError ? e.statusCode : 400, e);
    const { status, ...body } = fromFastify(e);
    return sendError(reply, status, body);
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(reply, 404, {
      code: 'HUBTLS_ADMIN_NOT_FOUND',
      message: `no route ${req.method} ${req.url.split('?')[0]}`,
      hint: 'the routes are listed at /docs/json',
    }),
  );
}
