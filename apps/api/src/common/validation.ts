import { ArgumentMetadata, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { BadInputError } from '@runyard/runs';
import { INT4_MAX } from './column-rules';
import { rememberValidationRules } from './validation-rules';

rememberValidationRules();

const flatten = (errors: ValidationError[], prefix = ''): string[] =>
  errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((c) => (prefix ? `${prefix}.${c}` : c)),
    ...flatten(e.children ?? [], prefix ? `${prefix}.${e.property}` : e.property),
  ]);

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/**
 * DTO validation: unknown fields are dropped (as upstream), wrong types answer 400 with the error
 * body. A field sent as `null` counts as not sent: an optional one takes its default (as clients of
 * pydantic APIs send `"kconfig": null`), a required one is refused as missing.
 */
class RequestValidationPipe extends ValidationPipe {
  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Path parameters get their own pipes (recordId), which must see the text as sent, not Number('1e3').
    if (metadata.type === 'param') return Promise.resolve(value);
    const given =
      metadata.type === 'body' && isPlainObject(value) ? Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null)) : value;
    return super.transform(given, metadata);
  }
}

export const validationPipe = new RequestValidationPipe({
  whitelist: true,
  transform: true,
  exceptionFactory: (errors) => new BadInputError(flatten(errors).join('; ')),
});

/** A record id in a path: the `integer` column's range, so Postgres is never asked for 2^31. */
class RecordIdPipe implements PipeTransform<string, number> {
  transform(value: string, metadata: ArgumentMetadata): number {
    const id = /^[0-9]{1,10}$/.test(value) ? Number(value) : NaN;
    if (!(id >= 1 && id <= INT4_MAX)) {
      throw new BadInputError(
        `${metadata.data ?? 'id'} must be a whole number from 1 to ${INT4_MAX}, not ${JSON.stringify(value.slice(0, 40))}`,
      );
    }
    return id;
  }
}

export const recordId = new RecordIdPipe();
