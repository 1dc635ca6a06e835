/** Events about the hub itself: ready (listening, with its ports) and notices (state changes, warnings). */
import { Type, type Static } from '@sinclair/typebox';

export const ReadyEvent = Type.Object(
  {
    type: Type.Literal('ready'),
    listeners: Type.Array(
      Type.Object({ address: Type.String(), port: Type.Integer(), endpoints: Type.Array(Type.String()) }),
    ),
    admin: Type.Optional(Type.Object({ url: Type.String() })),
    scenario: Type.String(),
  },
  { additionalProperties: true, description: 'the hub is listening' },
);

export const NoticeEvent = Type.Object(
  {
    type: Type.Literal('notice'),
    level: Type.Union([Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')]),
    what: Type.String({ description: 'what kind of notice (listening, step, timeline-done, …)' }),
    msg: Type.String(),
  },
  { additionalProperties: true, description: 'anything else worth a line; each kind adds its own fields' },
);

export type ReadyEvent = Static<typeof ReadyEvent>;
/** Static types drop `additionalProperties`; a notice carries its kind's own fields beside these. */
export type NoticeEvent = Static<typeof NoticeEvent> & { [key: string]: unknown };
