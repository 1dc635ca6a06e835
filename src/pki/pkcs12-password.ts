/** The PKCS#12 password, apart from pkcs12.ts so that naming it does not load node-forge. */
export const PKCS12_PASSWORD = 'hubtls';
