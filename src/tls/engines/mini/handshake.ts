/**
 * One full TLS 1.0–1.2 server handshake (no resumption): ClientHello → ServerHello, Certificate,
 * [ServerKeyExchange], [CertificateRequest], ServerHelloDone → client flight → CCS, Finished.
 * The version, suite and certificate were chosen by decide(); this code only carries them out.
 */
import crypto, { type KeyObject } from 'node:crypto';
import type { RecordIO } from './record-io.js';
import type { CipherParams } from './params.js';
import { HandshakeReader } from './handshake-reader.js';
import {
  parseClientHello,
  serverHello,
  certificateMessage,
  certificateRequest,
  serverHelloDone,
  finishedMessage,
  parseCertificateList,
  parseCertificateVerify,
  type ClientHello,
} from './messages.js';
import { EphemeralKey, rsaPremaster, signFor, verifyClient, OFFERED_SIGALGS } from './keyexchange.js';
import { extendedMasterSecret, finishedData, keyBlock, masterSecret, transcriptHash, type PrfKind } from './prf.js';
import { keyBlockLength, protection, splitKeyBlock, type Protection } from './protection.js';
import { refuse, unexpected } from './failure.js';
import { ALERT, ContentType, HandshakeType } from '../../wire/constants.js';
import { handshakeMessage } from '../../wire/reader.js';

export interface ServerConfig {
  version: number;
  params: CipherParams;
  chainDer: Buffer[];
  key: KeyObject;
  keyType: 'rsa' | 'ec';
  /** Key-exchange groups by IANA id, in the profile's order. */
  groups: number[];
  mfl: 'honour' | 'ignore';
  clientCert: 'none' | 'request' | 'require';
  /** Fault: corrupt the ServerKeyExchange signature (a client that still connects does not check it). */
  badSignature?: boolean;
}

export interface HandshakeResult {
  hello: ClientHello;
  /** Certificates the client sent, leaf first (empty when none). */
  clientChain: Buffer[];
  /** The negotiated max_fragment_length in force for our records, when honoured. */
  mflBytes?: number;
}

export class ServerHandshake {
  private readonly transcript: Buffer[] = [];
  private readonly reader: HandshakeReader;
  private readonly serverRandom = crypto.randomBytes(32);
  private hello!: ClientHello;
  private ephemeral?: EphemeralKey;
  private prfKind: PrfKind;
  private serverProtection?: Protection;

  constructor(
    private readonly io: RecordIO,
    private readonly cfg: ServerConfig,
  ) {
    this.reader = new HandshakeReader(io);
    this.prfKind = cfg.version >= 0x0303 ? cfg.params.prfHash : 'tls10';
  }

  async run(): Promise<HandshakeResult> {
    const ch = await this.reader.expect(HandshakeType.clientHello, 'ClientHello');
    this.record(ch.raw);
    this.hello = parseClientHello(ch.raw);
    this.checkHello();
    const mflBytes = this.sendServerFlight();
    const clientChain = await this.readClientCertificate();
    const master = await this.readKeyExchange(clientChain);
    await this.readClientFinished(master);
    this.sendFinished(master);
    return { hello: this.hello, clientChain, mflBytes };
  }

  private record(raw: Buffer): void {
    this.transcript.push(Buffer.from(raw));
  }

  private messages(): Buffer {
    return Buffer.concat(this.transcript);
  }

  private checkHello(): void {
    const [offered, chosen] = [this.hello.version.toString(16), this.cfg.version.toString(16)];
    if (this.hello.version < this.cfg.version) {
      throw refuse(`client version ${offered} is below the chosen ${chosen}`, ALERT.protocolVersion);
    }
    const suite = this.cfg.params.suite;
    if (!this.hello.suites.includes(suite.id))
      throw refuse(`client does not offer ${suite.iana}`, ALERT.handshakeFailure);
  }

  private sendServerFlight(): number | undefined {
    const honour = this.cfg.mfl === 'honour' && this.hello.mfl;
    const flight = [
      this.serverHelloMessage(honour ? this.hello.mfl!.code : undefined),
      certificateMessage(this.cfg.chainDer),
    ];
    if (this.cfg.params.suite.kx === 'ECDHE') flight.push(this.serverKeyExchange());
    if (this.cfg.clientCert !== 'none') flight.push(certificateRequest(this.cfg.version, OFFERED_SIGALGS));
    flight.push(serverHelloDone());
    for (const m of flight) this.record(m);
    this.io.version = this.cfg.version;
    if (honour) this.io.writeLimit = this.io.readLimit = this.hello.mfl!.bytes;
    this.io.write(ContentType.handshake, Buffer.concat(flight));
    return honour ? this.hello.mfl!.bytes : undefined;
  }

  private serverHelloMessage(mflCode: number | undefined): Buffer {
    const h = this.hello;
    const ecdhe = this.cfg.params.suite.kx === 'ECDHE';
    return serverHello({
      version: this.cfg.version,
      random: this.serverRandom,
      suite: this.cfg.params.suite.id,
      ems: h.ems,
      secureRenegotiation: h.secureRenegotiation,
      pointFormats: ecdhe && h.pointFormats,
      mflCode,
    });
  }

  /** The client's first listed group that the profile accepts (RFC 8422: no list = any curve). */
  private pickGroup(): number {
    const ours = this.cfg.groups;
    const pick = this.hello.groups.length
      ? this.hello.groups.find((g) => ours.includes(g))
      : (ours.find((g) => g !== 29) ?? ours[0]);
    if (pick === undefined) throw refuse('no key-exchange group in common', ALERT.handshakeFailure);
    return pick;
  }

  private serverKeyExchange(): Buffer {
    this.ephemeral = EphemeralKey.create(this.pickGroup());
    const params = this.ephemeral.params();
    const signed = Buffer.concat([this.hello.random, this.serverRandom, params]);
    const sig = signFor(this.cfg.version, this.cfg.key, this.cfg.keyType, signed, this.hello.sigalgs);
    if (this.cfg.badSignature) sig[sig.length - 1]! ^= 0x01;
    return handshakeMessage(HandshakeType.serverKeyExchange, params, sig);
  }

  private async readClientCertificate(): Promise<Buffer[]> {
    if (this.cfg.clientCert === 'none') return [];
    const msg = await this.reader.expect(HandshakeType.certificate, 'client Certificate');
    this.record(msg.raw);
    const chain = parseCertificateList(msg.body);
    const required = this.cfg.clientCert === 'require';
    if (chain.length === 0 && required) {
      throw refuse('the client sent no certificate and one is required', ALERT.handshakeFailure);
    }
    return chain;
  }

  private async readKeyExchange(clientChain: Buffer[]): Promise<Buffer> {
    const cke = await this.reader.expect(HandshakeType.clientKeyExchange, 'ClientKeyExchange');
    this.record(cke.raw);
    const pms = this.ephemeral
      ? this.ephemeral.shared(cke.body)
      : rsaPremaster(this.cfg.key, cke.body, this.hello.version);
    const master = this.hello.ems
      ? extendedMasterSecret(this.prfKind, pms, transcriptHash(this.prfKind, this.messages()))
      : masterSecret(this.prfKind, pms, this.hello.random, this.serverRandom);
    if (clientChain.length) await this.readCertificateVerify(clientChain[0]!);
    return master;
  }

  private async readCertificateVerify(leaf: Buffer): Promise<void> {
    const msg = await this.reader.expect(HandshakeType.certificateVerify, 'CertificateVerify');
    const { sigalg, signature } = parseCertificateVerify(msg.body, this.cfg.version);
    let key: KeyObject;
    try {
      key = new crypto.X509Certificate(leaf).publicKey;
    } catch {
      throw refuse('the client certificate cannot be parsed', ALERT.badCertificate);
    }
    const verified = verifyClient(this.cfg.version, key, this.messages(), sigalg, signature);
    if (!verified) throw refuse('the client CertificateVerify signature does not verify', ALERT.decryptError);
    this.record(msg.raw);
  }

  private keys(master: Buffer) {
    const p = this.cfg.params;
    const block = keyBlock(
      this.prfKind,
      master,
      this.hello.random,
      this.serverRandom,
      keyBlockLength(p, this.cfg.version),
    );
    return splitKeyBlock(p, this.cfg.version, block);
  }

  private async readClientFinished(master: Buffer): Promise<void> {
    const ccs = await this.reader.next();
    if (ccs.kind !== 'ccs') throw unexpected('expected ChangeCipherSpec');
    const keys = this.keys(master);
    this.io.readProtection = protection(this.cfg.params, this.cfg.version, keys.client);
    this.serverProtection = protection(this.cfg.params, this.cfg.version, keys.server);
    const expected = finishedData(this.prfKind, master, 'client', this.messages());
    const fin = await this.reader.expect(HandshakeType.finished, 'client Finished');
    if (!fin.body.equals(expected)) throw refuse('client Finished does not verify', ALERT.decryptError);
    this.record(fin.raw);
  }

  private sendFinished(master: Buffer): void {
    this.io.write(ContentType.changeCipherSpec, Buffer.from([1]));
    this.io.writeProtection = this.serverProtection!;
    this.io.write(
      ContentType.handshake,
      finishedMessage(finishedData(this.prfKind, master, 'server', this.messages())),
    );
  }
}
