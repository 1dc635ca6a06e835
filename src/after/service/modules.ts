/**
 * The service API's module routes: `/devices/{d}/modules[/{m}]` identities, module twins
 * `/twins/{d}/modules/{m}` and module methods `/twins/{d}/modules/{m}/methods`.
 */
import {
  deleteModule,
  getModule,
  getModuleTwin,
  invokeModuleMethod,
  listModules,
  moduleTarget,
  putModule,
} from '../../core/module-api.js';
import { patchTwinApi, replaceTwinApi } from '../../core/twin-api.js';
import type { Route } from './route.js';

const MODULE = 'devices/:d/modules/:m';
const TWIN = 'twins/:d/modules/:m';

export const MODULE_ROUTES: Route[] = [
  {
    method: 'GET',
    path: 'devices/:d/modules',
    right: 'RegistryRead',
    run: (c) => listModules(c.registry, c.params.d!),
  },
  { method: 'GET', path: MODULE, right: 'RegistryRead', run: (c) => getModule(c.registry, c.params.d!, c.params.m!) },
  {
    method: 'PUT',
    path: MODULE,
    right: 'RegistryWrite',
    body: true,
    run: (c) => putModule(c.registry, { d: c.params.d!, m: c.params.m! }, c.body, c.ifMatch, c.now),
  },
  {
    method: 'DELETE',
    path: MODULE,
    right: 'RegistryWrite',
    run: (c) => deleteModule(c.registry, c.params.d!, c.params.m!, c.ifMatch),
  },
  { method: 'GET', path: TWIN, right: 'RegistryRead', run: (c) => getModuleTwin(c.registry, c.params.d!, c.params.m!) },
  {
    method: 'PATCH',
    path: TWIN,
    right: 'ServiceConnect',
    body: true,
    run: (c) => patchTwinApi(moduleTarget(c.registry, c.params.d!, c.params.m!, c.now), c.body, c.ifMatch),
  },
  {
    method: 'PUT',
    path: TWIN,
    right: 'ServiceConnect',
    body: true,
    run: (c) => replaceTwinApi(moduleTarget(c.registry, c.params.d!, c.params.m!, c.now), c.body, c.ifMatch),
  },
  {
    method: 'POST',
    path: `${TWIN}/methods`,
    right: 'ServiceConnect',
    body: true,
    run: (c) => invokeModuleMethod(c.registry, c.params.d!, c.params.m!, c.body),
  },
];
