/**
 * The default `iothubowner` policy's keys, generated once and kept beside the test PKI
 * (`{certs}/policies.json`), so a CI job that keeps its certs folder gets the same service
 * connection string on every run. Several processes may start on one folder at once: the file is
 * written whole under a private name and linked into place, and whoever links first wins.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { HubtlsError } from '../errors.js';
import { DEFAULT_POLICY, RIGHTS, type PolicySpec } from './policies.js';

export const POLICY_KEYS_FILE = 'policies.json';

interface KeysFile {
  [DEFAULT_POLICY]: { primaryKey: string; secondaryKey: string };
}

/** 32 random bytes, base64: the size of the keys Azure generates. */
export function generateKey(): string {
  return crypto.randomBytes(32).toString('base64');
}

const BASE64_KEY = /^[A-Za-z0-9+/]{16,}={0,2}$/;

function parse(file: string, text: string): PolicySpec {
  const bad = (why: string) =>
    new HubtlsError(
      'HUBTLS_POLICY_KEYS',
      `${file}: ${why}`,
      `delete it to generate new keys (the service connection string changes), or give the scenario a policies: block`,
    );
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw bad(`not valid JSON (${(e as Error).message})`);
  }
  const keys = (data as Partial<KeysFile> | null)?.[DEFAULT_POLICY];
  if (!keys || !BASE64_KEY.test(String(keys.primaryKey)) || !BASE64_KEY.test(String(keys.secondaryKey)))
    throw bad(`expected {"${DEFAULT_POLICY}": {"primaryKey": base64, "secondaryKey": base64}}`);
  return { name: DEFAULT_POLICY, primaryKey: keys.primaryKey, secondaryKey: keys.secondaryKey, rights: [...RIGHTS] };
}

/** The default policy, its keys read from `{certsDir}/policies.json`, which is created on first use. */
export async function defaultPolicy(certsDir: string): Promise<PolicySpec> {
  const file = path.join(certsDir, POLICY_KEYS_FILE);
  const read = async () => parse(file, await fs.readFile(file, 'utf8'));
  try {
    return await read();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const content: KeysFile = { [DEFAULT_POLICY]: { primaryKey: generateKey(), secondaryKey: generateKey() } };
  // Not ".tmp": PkiStore removes *.tmp files in this folder when it generates.
  const partial = path.join(certsDir, `.${POLICY_KEYS_FILE}.${process.pid}.${crypto.randomUUID()}.partial`);
  await fs.mkdir(certsDir, { recursive: true, mode: 0o700 });
  const text = `${JSON.stringify(content, null, 2)}\n`;
  await fs.writeFile(partial, text, { mode: 0o600 });
  try {
    await fs.link(partial, file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    // A filesystem without hard links: exclusive create is the next best thing.
    if (code !== 'EEXIST') await fs.writeFile(file, text, { flag: 'wx', mode: 0o600 }).catch(ignoreExists);
  } finally {
    await fs.rm(partial, { force: true });
  }
  return read();
}

function ignoreExists(e: NodeJS.ErrnoException): void {
  if (e.code !== 'EEXIST') throw e;
}
