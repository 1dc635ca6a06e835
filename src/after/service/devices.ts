/** The service API's device identity routes: `/devices/{id}` CRUD, `GET /devices`, bulk `POST /devices`. */
import { bulkDevices, deleteDevice, getDevice, listDevices, putDevice } from '../../core/registry-api.js';
import { fail } from '../../core/service-errors.js';
import type { Route } from './route.js';

function top(q: URLSearchParams): number | undefined {
  const t = q.get('top');
  return t === null ? 1000 : /^\d+$/.test(t) && Number(t) > 0 ? Math.min(Number(t), 1000) : undefined;
}

export const DEVICE_ROUTES: Route[] = [
  { method: 'GET', path: 'devices/:id', right: 'RegistryRead', run: (c) => getDevice(c.registry, c.params.id!) },
  {
    method: 'PUT',
    path: 'devices/:id',
    right: 'RegistryWrite',
    body: true,
    run: (c) => putDevice(c.registry, c.params.id!, c.body, c.ifMatch, c.now),
  },
  {
    method: 'DELETE',
    path: 'devices/:id',
    right: 'RegistryWrite',
    run: (c) => deleteDevice(c.registry, c.params.id!, c.ifMatch),
  },
  {
    method: 'GET',
    path: 'devices',
    right: 'RegistryRead',
    run: (c) => {
      const n = top(c.query);
      return n ? listDevices(c.registry, n) : fail('ArgumentInvalid', 'top must be a whole number from 1 to 1000');
    },
  },
  {
    method: 'POST',
    path: 'devices',
    right: 'RegistryWrite',
    body: true,
    run: (c) => bulkDevices(c.registry, c.body, c.now),
  },
];
