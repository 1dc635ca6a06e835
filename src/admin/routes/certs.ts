/** Certificate downloads for the device under test: the stand-in roots and device certificates. */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { ApiError } from '../errors.js';
import type { AdminContext, RouteModule } from '../context.js';
import { CertQuery, DeviceParams, DeviceQuery, Ok, RootParams } from '../schemas.js';

const PEM_TYPE = 'application/x-pem-file';
const DER_TYPE = 'application/pkix-cert';
const Binary = Type.String({ description: 'PEM text or DER bytes' });

function sendCert(
  reply: FastifyReply,
  name: string,
  pem: string,
  der: Buffer,
  format: 'pem' | 'der' = 'pem',
): FastifyReply {
  reply.header('content-disposition', `attachment; filename="${name}.${format === 'der' ? 'der' : 'pem'}"`);
  return format === 'der' ? reply.type(DER_TYPE).send(der) : reply.type(PEM_TYPE).send(pem);
}

/**
 * Each device certificate costs a key generation and a file in the certs folder: only devices the
 * scenario knows (registry, DPS individual enrollments) get one, so a caller cannot fill the disk.
 */
function needKnownDevice(ctx: AdminContext, id: string): void {
  const known = [
    ...ctx.runtime.devices.list().map((d) => d.id),
    ...ctx.runtime.scenario.current.devices.enrollments.filter((e) => e.kind === 'individual').map((e) => e.id),
  ];
  if (known.includes(id)) return;
  throw new ApiError(
    404,
    'HUBTLS_UNKNOWN_DEVICE',
    `no device "${id}" in the scenario`,
    known.length
      ? `devices: ${[...new Set(known)].join(', ')}`
      : 'this scenario registers no devices: add them under devices: (or enrollments:) and reload',
  );
}

export const certRoutes: RouteModule = (app, ctx) => {
  const pki = ctx.runtime.pki;
  app.get(
    '/certs/roots',
    {
      schema: {
        summary: 'the stand-in roots a device may trust',
        tags: ['certs'],
        response: Ok(
          Type.Array(
            Type.Object({
              id: Type.String(),
              subject: Type.String(),
              keyType: Type.String(),
              keyBits: Type.Integer(),
              fileName: Type.String(),
              description: Type.String(),
              testOnly: Type.Boolean(),
            }),
          ),
        ),
      },
    },
    async () =>
      pki.listRoots().map(({ id, subject, keyType, keyBits, fileName, description, testOnly }) => ({
        id,
        subject,
        keyType,
        keyBits,
        fileName,
        description,
        testOnly,
      })),
  );

  app.get<{ Params: Static<typeof RootParams>; Querystring: Static<typeof CertQuery> }>(
    '/certs/roots/:id',
    {
      schema: {
        summary: 'one root certificate (PEM, or DER with ?format=der)',
        tags: ['certs'],
        params: RootParams,
        querystring: CertQuery,
        produces: [PEM_TYPE, DER_TYPE],
        response: Ok(Binary),
      },
    },
    async (req, reply) => {
      const info = pki.listRoots().find((r) => r.id === req.params.id);
      if (!info)
        throw new ApiError(
          404,
          'HUBTLS_UNKNOWN_ROOT',
          `no root "${req.params.id}"`,
          `roots: ${pki
            .listRoots()
            .map((r) => r.id)
            .join(', ')}`,
        );
      const root = await pki.root(info.id);
      return sendCert(reply, info.fileName, root.certPem, root.der, req.query.format);
    },
  );

  app.get<{ Params: Static<typeof DeviceParams>; Querystring: Static<typeof DeviceQuery> }>(
    '/certs/devices/:deviceId',
    {
      schema: {
        summary:
          'a device certificate (CN = deviceId) of a device the scenario knows, its chain or its key; generated on first use',
        tags: ['certs'],
        params: DeviceParams,
        querystring: DeviceQuery,
        produces: [PEM_TYPE, DER_TYPE],
        response: Ok(Binary),
      },
    },
    async (req, reply) => {
      needKnownDevice(ctx, req.params.deviceId);
      const q = req.query;
      const dev = await pki.deviceCert(req.params.deviceId, {
        signer: q.signer,
        keyType: q.keyType,
        validAt: ctx.runtime.clock.now(),
      });
      const name = `${req.params.deviceId.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
      if (q.part === 'key')
        return reply
          .type(PEM_TYPE)
          .header('content-disposition', `attachment; filename="${name}-key.pem"`)
          .send(dev.keyPem);
      return sendCert(
        reply,
        q.part === 'cert' ? name : `${name}-chain`,
        q.part === 'cert' ? dev.certPem : dev.chainPem,
        dev.der,
        q.format,
      );
    },
  );
};
