import { z } from 'zod';
import { MappingFile } from './schema.js';

/** The JSON Schema editors use for mapping files, generated from the same zod schemas the relay validates with. */
export function mappingsJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(MappingFile, { io: 'input', unrepresentable: 'any' });
  return {
    ...schema,
    $id: 'https://audience-relay.dev/schema/mappings.schema.json',
    title: 'audience-relay mapping file',
    description: 'One YAML file under mappings/. See docs/mappings.md.',
  };
}

export function mappingsJsonSchemaText(): string {
  return `${JSON.stringify(mappingsJsonSchema(), null, 2)}\n`;
}
