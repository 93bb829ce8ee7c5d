import type * as ClassValidator from 'class-validator';

/*
 * The class-validator decorators Environment uses, each from its own file: the package's index loads all of its
 * ~100 validators, libphonenumber-js and validator.js with them, ~4.5 MiB of every worker's memory. The same
 * package and its one global metadata storage: these validate as the index's would.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- files of class-validator's CommonJS build */
type Of<K extends keyof typeof ClassValidator> = Pick<typeof ClassValidator, K>;
const from = (file: string): unknown => require(`class-validator/cjs/${file}`);

export const { IsDefined } = from('decorator/common/IsDefined') as Of<'IsDefined'>;
export const { IsIn } = from('decorator/common/IsIn') as Of<'IsIn'>;
export const { IsOptional } = from('decorator/common/IsOptional') as Of<'IsOptional'>;
export const { ValidateIf } = from('decorator/common/ValidateIf') as Of<'ValidateIf'>;
export const { IsInt } = from('decorator/typechecker/IsInt') as Of<'IsInt'>;
export const { IsString } = from('decorator/typechecker/IsString') as Of<'IsString'>;
export const { Matches } = from('decorator/string/Matches') as Of<'Matches'>;
export const { Max } = from('decorator/number/Max') as Of<'Max'>;
export const { Min } = from('decorator/number/Min') as Of<'Min'>;
const { Validator } = from('validation/Validator') as Of<'Validator'>;

export function validateSync(object: object, options?: ClassValidator.ValidatorOptions): ClassValidator.ValidationError[] {
  return new Validator().validateSync(object, options);
}
