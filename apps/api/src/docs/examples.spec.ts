import { exampleOf } from './examples';

describe('exampleOf', () => {
  const components = {
    Package: { type: 'object', properties: { sha256: { type: 'string', example: 'abc' }, size: { type: 'integer', example: 12 } } },
  };

  it('composes an answer from its properties’ examples, following $refs into the components', () => {
    const schema = {
      type: 'object',
      properties: {
        name: { type: 'string', example: 'climate-stats' },
        package: { $ref: '#/components/schemas/Package' },
        runs: { type: 'array', items: { type: 'integer', example: 42 } },
      },
    };
    expect(exampleOf(schema, components)).toEqual({ name: 'climate-stats', package: { sha256: 'abc', size: 12 }, runs: [42] });
  });

  it('merges the parts of an allOf (an answer with a few fields more), and a schema’s own example wins', () => {
    const schema = {
      allOf: [{ $ref: '#/components/schemas/Package' }, { type: 'object', properties: { reused: { type: 'boolean', example: true } } }],
    };
    expect(exampleOf(schema, components)).toEqual({ sha256: 'abc', size: 12, reused: true });
    expect(exampleOf({ type: 'object', example: { given: 1 }, properties: { x: { type: 'string' } } }, components)).toEqual({ given: 1 });
  });

  it('falls back on the enum’s first value, null for a nullable, and a value of the type', () => {
    const schema = {
      type: 'object',
      properties: {
        status: { type: 'string', enum: ['open', 'closed'] },
        detail: { type: 'string', nullable: true },
        at: { type: 'string', format: 'date-time' },
        count: { type: 'integer', minimum: 1 },
      },
    };
    expect(exampleOf(schema, components)).toEqual({
      status: 'open',
      detail: null,
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      count: 1,
    });
  });

  it('stops at an unknown $ref or a cycle instead of looping', () => {
    expect(exampleOf({ $ref: '#/components/schemas/Nothing' }, components)).toBeUndefined();
    const loop = { Node: { type: 'object', properties: { next: { $ref: '#/components/schemas/Node' } } } };
    expect(() => exampleOf({ $ref: '#/components/schemas/Node' }, loop)).not.toThrow();
  });
});
