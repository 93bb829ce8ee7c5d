import { Max, MaxLength, Min, ValidationOptions } from 'class-validator';
import { getMetadataArgsStorage } from 'typeorm';

/** Postgres `integer` (int4): every `id` and `int` column. */
export const INT4_MAX = 2_147_483_647;
const INT4_MIN = -2_147_483_648;
const INT4_TYPES = new Set<unknown>(['int', 'int4', 'integer', Number]);

type Entity = abstract new (...args: never[]) => unknown;

/** The TypeORM column of an entity's property, inherited ones (KernelJob's) included. */
export function columnOf(entity: Entity, property: string): { type: unknown; length?: number } {
  const columns = getMetadataArgsStorage().columns;
  for (
    let target: unknown = entity;
    typeof target === 'function' && target !== Function.prototype;
    target = Object.getPrototypeOf(target)
  ) {
    const column = columns.find((c) => c.target === target && c.propertyName === property);
    if (column) return { type: column.options.type, length: column.options.length ? Number(column.options.length) : undefined };
  }
  throw new Error(`${entity.name}.${property} is not a column`);
}

/**
 * The value fits the column it is stored in or compared with: a varchar's length, an int4's range.
 * The bound is read from the entity, so the column definition stays the one place it is written.
 */
export function FitsColumn(entity: Entity, property: string, options: Pick<ValidationOptions, 'each'> = {}): PropertyDecorator {
  const column = columnOf(entity, property);
  if (column.type === 'varchar' && column.length) {
    const each = options.each ? 'each of ' : '';
    return MaxLength(column.length, { ...options, message: `${each}$property must be at most ${column.length} characters` });
  }
  if (INT4_TYPES.has(column.type)) {
    const min = Min(INT4_MIN, { ...options, message: `$property must be at least ${INT4_MIN}` });
    const max = Max(INT4_MAX, { ...options, message: `$property must be at most ${INT4_MAX}` });
    return (target, key) => {
      min(target, key);
      max(target, key);
    };
  }
  throw new Error(`${entity.name}.${property}: no bound is known for a ${String(column.type)} column`);
}
