/**
 * What makes a stand-in as large as the certificate it stands for (issue 16): the real one's
 * extensions (AIA, CRL distribution points, certificate policies, embedded SCTs, Microsoft's CA
 * extensions) and its DER size, with the public record the size was read from. A device's receive
 * buffer meets these bytes, so buffer stories must come out as they do against Azure. Pure data.
 *
 * Sizes are DER bytes of the real certificate (the base64 of its PEM, decoded); "source" names
 * where that PEM was read. Where no public copy was found, `realDerBytes` is absent and the
 * stand-in carries the real certificate's extensions only.
 */
import type { LeafKind } from './types.js';

/** Extensions added to a stand-in so it has the real certificate's shape and size. */
export interface CertExtras {
  aia?: { ocsp?: string[]; caIssuers?: string[] };
  crl?: string[];
  /** Certificate policy OIDs, e.g. 2.23.140.1.2.1 (domain validated) and 2.23.140.1.2.2 (organisation validated). */
  policies?: string[];
  /**
   * Embedded SCTs (1.3.6.1.4.1.11129.2.4.2): this many well-formed SignedCertificateTimestamps with
   * random log ids and signatures. A stand-in: right size and shape, but no log ever saw them.
   */
  scts?: number;
  /** Microsoft CA version (1.3.6.1.4.1.311.21.1 = 0), as Microsoft Azure TLS Issuing CA 01…06 carry. */
  msCaVersion?: boolean;
  /** Microsoft certificate template and application policies (1.3.6.1.4.1.311.21.7 / .21.10), as Microsoft-issued leaves carry. */
  msTemplate?: boolean;
  /** Serial number length in bytes (DigiCert: 16; Microsoft's issuing CAs: 19). Default 16. */
  serialBytes?: number;
}

export interface RealCert {
  /** DER size of the real certificate; absent when no public copy was found. */
  realDerBytes?: number;
  /** Where the real certificate (or its description) was read. */
  source: string;
  extras: CertExtras;
}

const OV = ['2.23.140.1.2.1', '2.23.140.1.2.2'];
const DIGICERT_OCSP = ['http://ocsp.digicert.com'];
const digicertIssued = (root: string, crls = ['crl3']): CertExtras => ({
  aia: { ocsp: DIGICERT_OCSP, caIssuers: [`http://cacerts.digicert.com/${root}.crt`] },
  crl: crls.map((h) => `http://${h}.digicert.com/${root}.crl`),
  policies: OV,
});
const msPki = (name: string) => encodeURIComponent(name);
const microsoftIssued = (root: string): CertExtras => ({
  aia: {
    ocsp: ['http://oneocsp.microsoft.com/ocsp'],
    caIssuers: [`http://www.microsoft.com/pkiops/certs/${msPki(root)}.crt`],
  },
  crl: [`http://www.microsoft.com/pkiops/crl/${msPki(root)}.crl`],
  policies: OV,
});

const CODER =
  'github.com/coder/coder coderd/azureidentity/azureidentity.go (PEMs from learn.microsoft.com/azure/security/fundamentals/azure-ca-details)';
const SDK_C = 'github.com/Azure/azure-iot-sdk-c certs/certs.c';
const RSA_0X = (n: string) =>
  `Microsoft Azure RSA TLS Issuing CA ${n}, issued by DigiCert Global Root G2 (2023-06-08): ${CODER}`;
const ECC_0X = (n: string) =>
  `Microsoft Azure ECC TLS Issuing CA ${n}, issued by DigiCert Global Root G3 (2023-06-08): ${CODER}`;
const NO_XSIGN =
  'the Microsoft-root cross-signed copy (pkiops "- xsign.crt"): no public copy found; extensions as Microsoft PKI issues them, size not verified';

/** Real CAs by catalog id. */
export const REAL_CAS: Readonly<Record<string, RealCert>> = {
  baltimore: { realDerBytes: 891, source: `Baltimore CyberTrust Root (serial 0x20000b9): ${SDK_C}`, extras: {} },
  'digicert-g2': { realDerBytes: 914, source: `DigiCert Global Root G2: ${SDK_C}`, extras: {} },
  'digicert-g3': { realDerBytes: 579, source: `DigiCert Global Root G3: ${SDK_C}`, extras: {} },
  msrsa2017: { realDerBytes: 1452, source: `Microsoft RSA Root Certificate Authority 2017: ${SDK_C}`, extras: {} },
  msecc2017: { realDerBytes: 605, source: `Microsoft ECC Root Certificate Authority 2017: ${SDK_C}`, extras: {} },
  'ms-rsa-tls-ca-01': {
    realDerBytes: 1374,
    source: `Microsoft RSA TLS CA 01 (serial 0f14965f…e2), issued by Baltimore: ${CODER}`,
    extras: {
      aia: { ocsp: DIGICERT_OCSP },
      crl: ['http://crl3.digicert.com/Omniroot2025.crl'],
      policies: [...OV, '1.3.6.1.4.1.311.42.1'],
    },
  },
  'ms-it-tls-ca-1': {
    realDerBytes: 1464,
    source:
      'Microsoft IT TLS CA 1 (serial 08b87a501bbe9cda2d164d3e3951bf55), issued by Baltimore: the MSIT_CA PEM of a public iothub_ca_certs.h (mbedTLS IoT Hub sample)',
    extras: {
      aia: { ocsp: DIGICERT_OCSP },
      crl: ['http://cdp1.public-trust.com/CRL/Omniroot2025.crl'],
      policies: ['1.3.6.1.4.1.6334.1.0', '2.23.140.1.2.2', '1.3.6.1.4.1.311.42.1'],
    },
  },
  ...Object.fromEntries(
    ['01', '02', '05', '06'].map((n) => [
      `azure-tls-ca-${n}`,
      {
        realDerBytes: 1527,
        source: `Microsoft Azure TLS Issuing CA ${n}, issued by DigiCert Global Root G2 (2020-07-29): ${CODER}`,
        extras: { ...digicertIssued('DigiCertGlobalRootG2', ['crl3', 'crl4']), msCaVersion: true },
      },
    ]),
  ),
  ...Object.fromEntries(
    ['03', '04', '07', '08'].flatMap((n) => [
      [
        `azure-rsa-tls-ca-${n}@g2`,
        { realDerBytes: 1456, source: RSA_0X(n), extras: digicertIssued('DigiCertGlobalRootG2') },
      ],
      [
        `azure-rsa-tls-ca-${n}@msrsa2017`,
        {
          source: `Microsoft Azure RSA TLS Issuing CA ${n}, ${NO_XSIGN}`,
          extras: microsoftIssued('Microsoft RSA Root Certificate Authority 2017'),
        },
      ],
    ]),
  ),
  'azure-ecc-tls-ca-03@g3': { realDerBytes: 865, source: ECC_0X('03'), extras: digicertIssued('DigiCertGlobalRootG3') },
  'azure-ecc-tls-ca-04@g3': { realDerBytes: 864, source: ECC_0X('04'), extras: digicertIssued('DigiCertGlobalRootG3') },
  ...Object.fromEntries(
    ['03', '04'].map((n) => [
      `azure-ecc-tls-ca-${n}@msecc2017`,
      {
        source: `Microsoft Azure ECC TLS Issuing CA ${n}, ${NO_XSIGN}`,
        extras: microsoftIssued('Microsoft ECC Root Certificate Authority 2017'),
      },
    ]),
  ),
};

/**
 * Leaves by kind. The last public copy of the hub's leaf is the *.azure-devices.net certificate an
 * `openssl s_client -showcerts` against a hub printed in February 2023 (Azure/azure-iot-explorer
 * issue #604: issued by MSFT BALT RS256 CA, valid 2023-02-21…2023-07-21, 2,105 bytes DER). No public
 * copy of a DPS leaf was found. The stand-ins carry what Microsoft-issued leaves carry: AIA and CRL
 * distribution point at Microsoft's PKI, Microsoft's policy and template extensions, a 19-byte
 * serial and three embedded SCTs.
 */
export const REAL_LEAVES: Readonly<Record<LeafKind, RealCert>> = {
  iothub: {
    realDerBytes: 2105,
    source:
      '*.azure-devices.net, issued by MSFT BALT RS256 CA (2023-02-21): openssl s_client -showcerts output in github.com/Azure/azure-iot-explorer issues/604',
    extras: leafExtras(),
  },
  dps: {
    source: 'no public copy of a DPS leaf found; shaped as the hub leaf',
    extras: leafExtras(),
  },
};

function leafExtras(): CertExtras {
  const ca = 'Microsoft Azure RSA TLS Issuing CA 03';
  return {
    aia: {
      ocsp: ['http://oneocsp.microsoft.com/ocsp'],
      caIssuers: [`http://www.microsoft.com/pkiops/certs/${msPki(`${ca} - xsign`)}.crt`],
    },
    crl: [`http://www.microsoft.com/pkiops/crl/${msPki(ca)}.crl`],
    policies: ['1.3.6.1.4.1.311.76.509.1.1', '2.23.140.1.2.2'],
    scts: 3,
    msTemplate: true,
    serialBytes: 19,
  };
}

/** The real certificate a catalog CA stands for, if it stands for one. */
export const realCa = (id: string): RealCert | undefined => REAL_CAS[id];
