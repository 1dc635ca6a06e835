import type { TlsVersion } from './suites.js';

/** An entry valid only within a date range of the scenario clock (ISO dates, `until` exclusive). */
export interface DateRange {
  from?: string;
  until?: string;
  /** Why the range exists, shown by `hubtls profiles show` and in explanations. */
  note?: string;
}

export interface DatedSuite extends DateRange {
  name: string;
}

export interface DatedVersion extends DateRange {
  version: TlsVersion;
}

/** How a profile treats the max_fragment_length extension (RFC 6066). */
export type MflMode = 'honour' | 'ignore';

/** When a connection without SNI is refused. */
export type SniRule = 'optional' | 'required';

/**
 * What one generation of an Azure endpoint accepts at the TLS layer. Pure data: the policy reads
 * it, the context builder turns it into OpenSSL options, `hubtls profiles show` prints it.
 */
export interface ProfileDefinition {
  id: string;
  title: string;
  /** Seed file or public document the tables come from. */
  source: string;
  summary: string;
  versions: DatedVersion[];
  /** Suites by IANA name, in the service's listing order (the hub follows the client's order). */
  suites: DatedSuite[];
  /** Key-exchange groups, OpenSSL names, in preference order. */
  groups: string[];
  /** Which server key types this endpoint generation serves; 'ec' only where ECDSA suites exist. */
  certKeyTypes: Array<'rsa' | 'ec'>;
  sni: SniRule;
  mfl: MflMode;
  /**
   * The stricter profile a `minTlsVersion: "1.2"` setting on the endpoint turns this one into, as
   * Azure's minTlsVersion property does (it also enforces the recommended suites).
   */
  minTls12Profile?: string;
}
