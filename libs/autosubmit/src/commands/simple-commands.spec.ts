import { CommandInputError } from '../command-input.error';
import { createJobListCommand } from './create-job-list.command';
import { runCommand } from './run.command';
import { stopCommand } from './stop.command';
import { updateDescriptionCommand } from './update-description.command';
import { versionCommand } from './version.command';

const INJECTIONS = ['a001; touch /tmp/x', '$(id)', '`id`', 'a001\n', '-a001', '--all', 'a001 '];

describe('version, run, stop, updatedescrip and create commands', () => {
  it('builds the exact argv', () => {
    expect(versionCommand()).toEqual({ args: ['-v'] });
    expect(runCommand('a001')).toEqual({ args: ['run', 'a001'] });
    expect(stopCommand('a001')).toEqual({ args: ['stop', '-y', 'a001'] });
    expect(stopCommand('a001', { force: true })).toEqual({ args: ['stop', '-y', '--force', 'a001'] });
    expect(updateDescriptionCommand('a001', 'New text; $(id)')).toEqual({
      args: ['updatedescrip', 'a001', 'New text; $(id)'],
    });
    expect(createJobListCommand('a001')).toEqual({ args: ['create', '-np', 'a001'] });
    expect(createJobListCommand('a001', { check_wrapper: true, update_version: true, force: true })).toEqual({
      args: ['create', '-np', '--check_wrapper', '--update_version', '--force', 'a001'],
    });
  });

  it('answers the stop confirmation on stdin for Autosubmit before 4.1.16', () => {
    expect(stopCommand('a001', { confirmOnStdin: true })).toEqual({ args: ['stop', 'a001'], stdin: 'y\n' });
    expect(stopCommand('a001', { confirmOnStdin: true, force: true })).toEqual({
      args: ['stop', '--force', 'a001'],
      stdin: 'y\n',
    });
  });

  it('adds flags only for a literal true', () => {
    const notTrue = 'false' as unknown as boolean;
    expect(createJobListCommand('a001', { force: notTrue })).toEqual({ args: ['create', '-np', 'a001'] });
  });

  it.each(INJECTIONS)('refuses the experiment id %p in every command', (expid) => {
    const builders = [
      () => runCommand(expid),
      () => stopCommand(expid),
      () => updateDescriptionCommand(expid, 'text'),
      () => createJobListCommand(expid),
    ];
    for (const build of builders) expect(build).toThrow(CommandInputError);
  });

  it('names the field and the value in its message', () => {
    expect(() => runCommand('a;rm')).toThrow('expid "a;rm" is not an Autosubmit experiment id');
    expect(() => runCommand(undefined as unknown as string)).toThrow('expid is required');
    try {
      updateDescriptionCommand('a001', '-rf');
    } catch (error) {
      expect(error).toBeInstanceOf(CommandInputError);
      expect((error as CommandInputError).field).toBe('description');
      expect((error as CommandInputError).message).toMatch(/^description "-rf" is not a description/);
    }
    expect.assertions(5);
  });

  it('refuses a description with a NUL or too long', () => {
    expect(() => updateDescriptionCommand('a001', 'a\0b')).toThrow(CommandInputError);
    expect(() => updateDescriptionCommand('a001', 'x'.repeat(1025))).toThrow(CommandInputError);
    expect(() => updateDescriptionCommand('a001', '')).toThrow(CommandInputError);
  });
});
