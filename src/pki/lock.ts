/**
 * A lock file that keeps two processes from generating into the same certs dir at once.
 * Created with O_EXCL ('wx'), it holds the owner's pid, host and a random token. A lock whose
 * pid is dead (same host) is stale and taken over; otherwise we wait, boundedly.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { HubtlsError } from '../errors.js';
import type { Logger } from '../events/logger.js';

export const LOCK_FILE = '.lock';

interface Holder {
  pid: number;
  host: string;
  token: string;
  raw: string;
  ageMs: number;
}

/** Tokens of locks this process holds: a lock with our pid but another token is a leftover. */
const heldTokens = new Set<string>();

/** An empty or garbled lock older than this is treated as left by a crash between open and write. */
const GARBLED_STALE_MS = 10_000;

export async function acquireLock(lockPath: string, timeoutMs: number, log: Logger): Promise<() => Promise<void>> {
  const token = crypto.randomBytes(8).toString('hex');
  const raw = JSON.stringify({ pid: process.pid, host: os.hostname(), token, since: new Date().toISOString() });
  const deadline = Date.now() + timeoutMs;
  for (let delay = 10, waited = false; ; delay = Math.min(delay * 1.5, 250)) {
    if (await tryCreate(lockPath, raw)) break;
    const holder = await readHolder(lockPath);
    if (holder && isStale(holder)) {
      if (await takeOver(lockPath, holder))
        log.warn(
          { event: 'pki.lock.stale', lock: lockPath, pid: holder.pid },
          `took over stale lock ${lockPath} of dead pid ${holder.pid}`,
        );
      continue;
    }
    if (Date.now() > deadline) throw lockedError(lockPath, holder, timeoutMs);
    if (!waited)
      log.info(
        { event: 'pki.lock.wait', lock: lockPath, pid: holder?.pid },
        `waiting for pid ${holder?.pid ?? '?'} to finish generating certificates`,
      );
    waited = true;
    await sleep(delay);
  }
  heldTokens.add(token);
  return () => release(lockPath, token);
}

async function tryCreate(lockPath: string, raw: string): Promise<boolean> {
  try {
    await fs.writeFile(lockPath, raw, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

async function readHolder(lockPath: string): Promise<Holder | null> {
  try {
    const [raw, st] = await Promise.all([fs.readFile(lockPath, 'utf8'), fs.stat(lockPath)]);
    const ageMs = Date.now() - st.mtimeMs;
    try {
      const { pid, host, token } = JSON.parse(raw) as Partial<Holder>;
      return { pid: Number(pid), host: String(host), token: String(token), raw, ageMs };
    } catch {
      return { pid: NaN, host: '', token: '', raw, ageMs };
    }
  } catch {
    return null; // released between our open and our read: just retry
  }
}

function isStale(h: Holder): boolean {
  if (!Number.isInteger(h.pid)) return h.ageMs > GARBLED_STALE_MS;
  if (h.host !== os.hostname()) return false;
  if (h.pid === process.pid) return !heldTokens.has(h.token);
  return !pidAlive(h.pid);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Move the stale lock aside (rename is atomic: of two processes taking over, one wins) and
 * check that what we moved is the stale lock we looked at; if a live lock slipped in between,
 * put it back.
 */
async function takeOver(lockPath: string, stale: Holder): Promise<boolean> {
  const aside = `${lockPath}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.stale`;
  try {
    await fs.rename(lockPath, aside);
  } catch {
    return false;
  }
  const moved = await fs.readFile(aside, 'utf8').catch(() => '');
  if (moved !== stale.raw) await fs.link(aside, lockPath).catch(() => undefined);
  await fs.unlink(aside).catch(() => undefined);
  return moved === stale.raw;
}

async function release(lockPath: string, token: string): Promise<void> {
  heldTokens.delete(token);
  const holder = await readHolder(lockPath);
  if (holder?.token === token) await fs.unlink(lockPath).catch(() => undefined);
}

function lockedError(lockPath: string, holder: Holder | null, timeoutMs: number): HubtlsError {
  const who = holder ? `pid ${holder.pid} on ${holder.host}` : 'another process';
  return new HubtlsError(
    'HUBTLS_CERTS_LOCKED',
    `certs dir is locked by ${who}; gave up after ${Math.round(timeoutMs / 1000)} s (${lockPath})`,
    `hint: another hubtls is generating certificates; if none is running, delete ${lockPath}`,
  );
}
