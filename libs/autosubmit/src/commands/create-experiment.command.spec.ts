import { CommandInputError } from '../command-input.error';
import { createExperimentCommand, CreateExperimentParams, parseCreatedExpid } from './create-experiment.command';

describe('createExperimentCommand', () => {
  it('builds the argv with only the description', () => {
    expect(createExperimentCommand({ description: 'Experiment created using the runner' })).toEqual({
      args: ['expid', '--description=Experiment created using the runner'],
    });
  });

  it('builds the argv with every option, in Autosubmit API order', () => {
    const command = createExperimentCommand({
      description: 'D',
      git_repo: 'https://earth.bsc.es/gitlab/es/auto-ecearth3.git',
      git_branch: 'main',
      minimal: true,
      config_path: 'conf/bootstrap',
      hpc: 'MN5',
      use_local_minimal: true,
      testcase: true,
      copy: 'a000',
    });
    expect(command).toEqual({
      args: [
        'expid',
        '--description=D',
        '--git_repo=https://earth.bsc.es/gitlab/es/auto-ecearth3.git',
        '--git_branch=main',
        '--minimal_configuration',
        '-conf=conf/bootstrap',
        '--HPC=MN5',
        '--use_local_minimal',
        '--testcase',
        '--copy=a000',
      ],
    });
    expect(createExperimentCommand({ description: 'D', operational: true }).args).toEqual(['expid', '--description=D', '--operational']);
  });

  it('keeps a description with shell characters as one literal element', () => {
    expect(createExperimentCommand({ description: 'a "b" $(id) `id`; rm -rf /' }).args[1]).toBe('--description=a "b" $(id) `id`; rm -rf /');
  });

  it('requires a description', () => {
    expect(() => createExperimentCommand({} as CreateExperimentParams)).toThrow('description is required');
    expect(() => createExperimentCommand({ description: '-x' })).toThrow(CommandInputError);
  });

  it('refuses operational and testcase together', () => {
    expect(() => createExperimentCommand({ description: 'D', operational: true, testcase: true })).toThrow(CommandInputError);
  });

  it.each([
    ['git_repo', 'https://x/repo.git; touch /tmp/x'],
    ['git_repo', 'ext::sh -c id'],
    ['git_branch', '$(id)'],
    ['git_branch', '-b'],
    ['config_path', '../../etc'],
    ['hpc', 'MN5`id`'],
    ['hpc', 'MN5\n'],
    ['copy', 'a000;id'],
  ])('refuses %s %p naming the field', (field, value) => {
    const params = { description: 'D', [field]: value } as unknown as CreateExperimentParams;
    expect(() => createExperimentCommand(params)).toThrow(new RegExp(`^${field} `));
  });
});

describe('parseCreatedExpid', () => {
  it('finds the new id in Autosubmit output', () => {
    expect(parseCreatedExpid('Creating folders\nExperiment a0b1 created\nRemember to edit')).toBe('a0b1');
  });

  it('answers null when no experiment was created', () => {
    expect(parseCreatedExpid('Critical error 7011')).toBeNull();
  });
});
