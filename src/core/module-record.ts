/** A new module identity record, as the service API (PUT /devices/{d}/modules/{m}) or the scenario makes one. */
import { deviceEtag, generationId, newTwinMeta } from './identity.js';
import { newTwin } from './twin.js';
import type { ModuleRecord } from './types.js';

export function newModuleRecord(
  deviceId: string,
  moduleId: string,
  fields: Pick<ModuleRecord, 'auth' | 'managedBy'>,
  now: Date,
): ModuleRecord {
  return {
    deviceId,
    moduleId,
    ...fields,
    generationId: generationId(now),
    etag: deviceEtag(),
    created: now.toISOString(),
    twin: newTwin(),
    twinMeta: newTwinMeta(now),
  };
}
