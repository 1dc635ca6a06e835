/**
 * The mini engine: a small TLS 1.0–1.2 server on node:crypto for what OpenSSL will not do —
 * ignore max_fragment_length as non-preview hubs do, negotiate TLS_RSA_WITH_3DES_EDE_CBC_SHA
 * (compiled out of Node's OpenSSL), and misbehave at record level on purpose (faults).
 * Why our own engine and not another library: docs/DESIGN-NOTES.md, "The mini TLS engine".
 */
import crypto, { type KeyObject } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { HandshakeError, type Engine, type Established, type HandshakePlan, type PeerCertInfo } from '../types.js';
import type { MiniEngineCaps } from '../../policy/types.js';
import type { ChainMaterial } from '../../../pki/types.js';
import { VERSION_CODES } from '../../../profiles/suites.js';
import { cipherParams, miniSupports } from './params.js';
import { RecordIO } from './record-io.js';
import { ServerHandshake, type ServerConfig } from './handshake.js';
import { MiniStream } from './stream.js';
import { GROUP_IDS } from './keyexchange.js';
import { TlsAlertError, asAlertError } from './failure.js';
import { ALERT, AlertLevel, ContentType } from '../../wire/constants.js';
import { alertBody } from '../../wire/records.js';
import { shaperFor, type RecordFaults } from '../../record-faults/faults.js';
import { peerCertInfo } from '../peer-cert.js';
import { servedLeafName } from '../served-leaf.js';

export const miniCaps: MiniEngineCaps = { supports: miniSupports };

const parsed = new WeakMap<ChainMaterial, { chainDer: Buffer[]; key: KeyObject }>();

/** DER certificates and the key object of a chain, parsed once per loaded material. */
function parse(m: ChainMaterial): { chainDer: Buffer[]; key: KeyObject } {
  let p = parsed.get(m);
  if (!p) {
    const chainDer = [...m.certPem.matchAll(/-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/g)].map((x) =>
      Buffer.from(x[1]!.replace(/\s+/g, ''), 'base64'),
    );
    p = { chainDer, key: crypto.createPrivateKey(m.keyPem) };
    parsed.set(m, p);
  }
  return p;
}

function serverConfig(plan: HandshakePlan, faults: RecordFaults): ServerConfig {
  const d = plan.decision;
  const params = cipherParams(d.suite);
  const material = plan.material[d.keyType];
  if (!params || !material)
    throw new TlsAlertError(`mini engine cannot run ${d.suite} with a ${d.keyType} chain`, 'internal', {
      send: ALERT.handshakeFailure,
    });
  const groups = plan.profile.definition.groups.map((g) => GROUP_IDS[g]).filter((g): g is number => g !== undefined);
  return {
    version: VERSION_CODES[d.version],
    params,
    ...parse(material),
    keyType: d.keyType,
    groups,
    mfl: d.mfl?.mode ?? 'honour',
    clientCert: plan.clientCert,
    badSignature: faults.badSignature,
  };
}

function peerCert(chain: Buffer[]): PeerCertInfo | undefined {
  return chain.length ? peerCertInfo(new crypto.X509Certificate(chain[0]!), chain) : undefined;
}

/** Sends the alert the failure owes the peer, ends the connection, and hands the typed failure up. */
function failed(io: RecordIO, e: unknown): HandshakeError {
  const { failure } = asAlertError(e);
  if (failure.alertSent !== undefined) io.write(ContentType.alert, alertBody(AlertLevel.fatal, failure.alertSent));
  io.socket.end();
  return new HandshakeError(failure);
}

export async function miniHandshake(
  socket: Duplex,
  plan: HandshakePlan,
  faults: RecordFaults = {},
): Promise<Established & { io: RecordIO }> {
  const io = new RecordIO(socket);
  try {
    const hs = new ServerHandshake(io, serverConfig(plan, faults));
    io.shaper = shaperFor(faults);
    const result = await hs.run();
    return {
      stream: new MiniStream(io),
      version: plan.decision.version,
      suite: plan.decision.suite,
      keyType: plan.decision.keyType,
      servedLeaf: servedLeafName(plan.material[plan.decision.keyType]),
      peerCert: peerCert(result.clientChain),
      io,
    };
  } catch (e) {
    throw failed(io, e);
  }
}

export const miniEngine: Engine = {
  name: 'mini',
  handshake: (socket, plan) => miniHandshake(socket, plan, plan.recordFaults),
};
