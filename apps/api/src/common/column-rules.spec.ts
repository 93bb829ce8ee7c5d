import { validateSync } from 'class-validator';
// The entity files themselves: the persistence index pulls in Nest, which jest cannot load.
import { KernelBuild, KernelTest } from '../../../../libs/persistence/src/kernel.entities';
import { Run } from '../../../../libs/persistence/src/run.entity';
import { columnOf, FitsColumn, INT4_MAX } from './column-rules';

class Probe {
  @FitsColumn(KernelBuild, 'toolchain')
  toolchain: string;

  @FitsColumn(KernelTest, 'runner') // declared on the shared KernelJob base
  runner: string;

  @FitsColumn(Run, 'id')
  before: number;
}

const probe = (fields: Partial<Probe>) => {
  const p = Object.assign(new Probe(), { toolchain: 'gcc-12', runner: 'tuxsuite', before: 1, ...fields });
  return validateSync(p).map((e) => Object.values(e.constraints ?? {}).join('; '));
};

describe('column rules', () => {
  it('read the bound from the entity, inherited columns included', () => {
    expect(columnOf(KernelBuild, 'toolchain')).toEqual({ type: 'varchar', length: 64 });
    expect(columnOf(KernelTest, 'runner')).toEqual({ type: 'varchar', length: 32 });
    expect(() => columnOf(KernelBuild, 'nothing')).toThrow('KernelBuild.nothing is not a column');
  });

  it('refuse strings longer than the varchar and ids outside int4', () => {
    expect(probe({})).toEqual([]);
    expect(probe({ toolchain: 'g'.repeat(64) })).toEqual([]);
    expect(probe({ toolchain: 'g'.repeat(65) })).toEqual(['toolchain must be at most 64 characters']);
    expect(probe({ runner: 'r'.repeat(33) })).toEqual(['runner must be at most 32 characters']);
    expect(probe({ before: INT4_MAX })).toEqual([]);
    expect(probe({ before: 99_999_999_999 })).toEqual([`before must be at most ${INT4_MAX}`]);
  });
});
