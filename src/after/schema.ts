/**
 * The `after:` field of a scenario endpoint, built from the registered modes: a mode name
 * (`after: mqtt`) or an object with the mode and that mode's options
 * (`after: { mode: forward, upstream: { host, port } }`).
 *
 * The object lists every mode's options (each field once) rather than one branch per mode: which
 * fields belong to which mode is checked in `afterProblems`, after the schema, so a scenario gets
 * every such problem at once, in words ("no upstream unless mode is forward"), with the others.
 */
import { Type, type Static, type TProperties, type TSchema } from '@sinclair/typebox';
import { AFTER_MODES } from './registry.js';

/** Short, because validation errors quote it ("expected a string (after-TLS mode: …)"). */
const MODE_NAMES = `after-TLS mode: ${AFTER_MODES.map((m) => m.name).join(' | ')}`;
/** For editors, on the field as a whole. */
const MODES_TEXT = AFTER_MODES.map((m) => `${m.name}: ${m.description}`).join('; ');

/** Every mode's option fields; modes that share a field must share its schema (one meaning per name). */
function optionFields(): TProperties {
  const fields: Record<string, TSchema> = {};
  for (const m of AFTER_MODES) {
    for (const [key, schema] of Object.entries(m.options.properties)) {
      const seen = fields[key];
      if (seen && JSON.stringify(seen) !== JSON.stringify(schema)) {
        throw new Error(`after-TLS modes disagree on the option ${key}: ${m.name} declares it differently`);
      }
      fields[key] = Type.Optional(schema);
    }
  }
  return fields;
}

export const AfterObject = Type.Object(
  { mode: Type.String({ description: MODE_NAMES }), ...optionFields() },
  { additionalProperties: false },
);

export const AfterRef = Type.Union([Type.String({ description: MODE_NAMES }), AfterObject], {
  description: `what happens after the TLS handshake: a mode name, or { mode, ...its options }. ${MODES_TEXT}`,
});

export type AfterRefFile = Static<typeof AfterRef>;
