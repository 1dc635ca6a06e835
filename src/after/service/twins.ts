/** The service API's twin routes: `GET`, `PATCH` and `PUT /twins/{id}`. */
import { deviceTarget, getTwin, patchTwinApi, replaceTwinApi } from '../../core/twin-api.js';
import type { Route } from './route.js';

export const TWIN_ROUTES: Route[] = [
  { method: 'GET', path: 'twins/:id', right: 'RegistryRead', run: (c) => getTwin(c.registry, c.params.id!) },
  {
    method: 'PATCH',
    path: 'twins/:id',
    right: 'ServiceConnect',
    body: true,
    run: (c) => patchTwinApi(deviceTarget(c.registry, c.params.id!), c.body, c.ifMatch),
  },
  {
    method: 'PUT',
    path: 'twins/:id',
    right: 'ServiceConnect',
    body: true,
    run: (c) => replaceTwinApi(deviceTarget(c.registry, c.params.id!), c.body, c.ifMatch),
  },
];
