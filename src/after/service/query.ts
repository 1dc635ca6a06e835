/** The service API's device query route: `POST /devices/query` (twins of devices or modules, paged). */
import { runQuery } from '../../core/query-eval.js';
import type { Route } from './route.js';

export const QUERY_ROUTES: Route[] = [
  {
    method: 'POST',
    path: 'devices/query',
    right: 'RegistryRead',
    body: true,
    run: (c) =>
      runQuery(c.registry, {
        body: c.body,
        maxItemCount: c.header('x-ms-max-item-count'),
        continuation: c.header('x-ms-continuation'),
      }),
  },
];
