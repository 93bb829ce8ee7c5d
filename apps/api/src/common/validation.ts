import { ValidationError, ValidationPipe } from '@nestjs/common';
import { BadInputError } from '@runyard/runs';

const flatten = (errors: ValidationError[], prefix = ''): string[] =>
  errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((c) => (prefix ? `${prefix}.${c}` : c)),
    ...flatten(e.children ?? [], prefix ? `${prefix}.${e.property}` : e.property),
  ]);

/** DTO validation: unknown fields are dropped (as upstream), wrong types answer 400 with the error body. */
export const validationPipe = new ValidationPipe({
  whitelist: true,
  transform: true,
  exceptionFactory: (errors) => new BadInputError(flatten(errors).join('; ')),
});
