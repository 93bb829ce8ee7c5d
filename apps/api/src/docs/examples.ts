type Schema = Record<string, unknown>;

/**
 * An example answer composed from a schema: each property's own example (the presenters' and DTOs'
 * decorators give them), else its enum's first value, null when nullable, or a value of its type.
 * $refs are followed into the components, to a bounded depth.
 */
export function exampleOf(schema: Schema, components: Record<string, Schema>, depth = 0): unknown {
  if (depth > 8) return undefined;
  if (typeof schema.$ref === 'string') {
    const target = components[schema.$ref.split('/').pop()!];
    return target ? exampleOf(target, components, depth + 1) : undefined;
  }
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.allOf)) {
    // Every part holds: an object example merges theirs (a presenter's answer with a few fields more).
    const parts = (schema.allOf as Schema[]).map((part) => exampleOf(part, components, depth + 1));
    return parts.every((p) => typeof p === 'object' && p !== null && !Array.isArray(p)) ? Object.assign({}, ...parts) : parts[0];
  }
  const [first] = ((schema.oneOf ?? schema.anyOf) as Schema[] | undefined) ?? [];
  if (first) return exampleOf(first, components, depth + 1);
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if (schema.nullable === true) return null;
  switch (schema.type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      return Object.fromEntries(Object.entries(properties).map(([name, s]) => [name, exampleOf(s, components, depth + 1)]));
    }
    case 'array': {
      const item = exampleOf((schema.items ?? {}) as Schema, components, depth + 1);
      return item === undefined ? [] : [item];
    }
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? schema.minimum : 0;
    case 'boolean':
      return false;
    case 'string':
      return schema.format === 'date-time' ? '2026-12-07T09:30:00.000Z' : 'text';
    default:
      return undefined;
  }
}
