import { Type } from '@sinclair/typebox';
import { defineFault } from '../types.js';

/** A slice of the fleet meets a broken certificate: expired, wrong host, untrusted, … */
export const serveDefect = defineFault({
  name: 'serve-defect',
  summary: "serve a catalog chain (usually a defect fixture) instead of the endpoint's RSA chain",
  params: Type.Object(
    {
      chain: Type.String({
        description: 'catalog chain id, e.g. expired, wrong-host, untrusted-root (see `hubtls certs list`)',
      }),
    },
    { additionalProperties: false },
  ),
  chains: (p) => [p.chain],
  example: { chain: 'expired' },
  explain: (p) =>
    `the server presents chain ${p.chain} instead of its own; a device that verifies the server refuses it, one that still connects does not check what it should`,
  create: (p, ctx) => ({
    material(served) {
      ctx.act(`served chain ${p.chain}`);
      const chain = ctx.chain(p.chain);
      return { ...served, [chain.keyType]: chain };
    },
  }),
});
