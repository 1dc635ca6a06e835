import { Type } from '@sinclair/typebox';
import { defineFault } from '../types.js';
import type { ChainMaterial, EndpointMaterial } from '../../pki/types.js';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\r?\n?/g;

function truncated(c: ChainMaterial, keep: number): ChainMaterial {
  const certs = c.certPem.match(PEM_CERT) ?? [];
  return { ...c, chainId: `${c.chainId}(first ${keep})`, certPem: certs.slice(0, keep).join('') };
}

/** A misconfigured gateway or proxy that serves the leaf without its intermediate. */
export const truncateChain = defineFault({
  name: 'truncate-chain',
  summary: 'serve only the first N certificates of the chain (default: the leaf alone)',
  params: Type.Object(
    {
      keep: Type.Integer({
        minimum: 1,
        default: 1,
        description: 'certificates served from the start of the chain (1 = leaf only)',
      }),
    },
    { additionalProperties: false },
  ),
  explain: (p) =>
    `the server sends only ${p.keep === 1 ? 'its leaf certificate' : `the first ${p.keep} certificates`}, without the rest of the chain: a device that has only the root cannot build the path (unable to get local issuer certificate / unknown_ca)`,
  create: (p, ctx) => ({
    material(served) {
      ctx.act(
        p.keep === 1 ? 'served the leaf without intermediates' : `served the first ${p.keep} certificates of the chain`,
      );
      const out: EndpointMaterial = {};
      for (const [type, chain] of Object.entries(served) as Array<[keyof EndpointMaterial, ChainMaterial]>)
        out[type] = truncated(chain, p.keep);
      return out;
    },
  }),
});
