/** The service API's direct-method route: `POST /twins/{id}/methods`. */
import { invokeMethod } from '../../core/method-api.js';
import type { Route } from './route.js';

export const METHOD_ROUTES: Route[] = [
  {
    method: 'POST',
    path: 'twins/:id/methods',
    right: 'ServiceConnect',
    body: true,
    run: (c) => invokeMethod(c.registry, c.params.id!, c.body),
  },
];
