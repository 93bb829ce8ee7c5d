import { CommandInputError } from '../command-input.error';
import { setStatusCommand, SetStatusParams } from './set-status.command';

const HEAD = ['setstatus', 'a001', '-np', '-nt', '-s'];

describe('setStatusCommand', () => {
  it('builds the argv for a list of jobs', () => {
    const command = setStatusCommand('a001', { job_names_list: ['a001_INI', 'a001_POST'], final_status: 'COMPLETED' });
    expect(command).toEqual({ args: [...HEAD, '--list=a001_INI a001_POST', '--status_final=COMPLETED'] });
  });

  it.each([
    ['filter_chunks', '[ 19601101 [ fc0 [1 2 3 4] ] ]', '--filter_chunks'],
    ['filter_status', 'FAILED READY', '--filter_status'],
    ['filter_type', 'SIM POST', '--filter_type'],
    ['filter_type_chunk', '[ 19601101 [ fc0 [1 2] ] ],SIM', '--filter_type_chunk'],
    ['filter_type_chunk_split', '[ 19601101 [ fc0 [1 [1 2]] ] ],SIM', '--filter_type_chunk_split'],
  ])('builds the argv for %s', (field, value, flag) => {
    const params = { final_status: 'READY', [field]: value } as unknown as SetStatusParams;
    expect(setStatusCommand('a001', params)).toEqual({ args: [...HEAD, '--status_final=READY', `${flag}=${value}`] });
  });

  it('adds --check_wrapper and --update_version when asked', () => {
    const command = setStatusCommand('a001', {
      filter_type: 'SIM',
      final_status: 'WAITING',
      check_wrapper: true,
      update_version: true,
    });
    expect(command.args.slice(-2)).toEqual(['--check_wrapper', '--update_version']);
  });

  it('requires exactly one job selection, as Autosubmit does', () => {
    expect(() => setStatusCommand('a001', { final_status: 'COMPLETED' })).toThrow(/one of job_names_list, .* is required/);
    expect(() => setStatusCommand('a001', { job_names_list: ['a001_INI'], filter_type: 'SIM', final_status: 'COMPLETED' })).toThrow(
      /only one of/,
    );
  });

  it('requires a final status Autosubmit can set', () => {
    const list = { job_names_list: ['a001_INI'] };
    expect(() => setStatusCommand('a001', list as SetStatusParams)).toThrow('final_status is required');
    expect(() => setStatusCommand('a001', { ...list, final_status: 'SKIPPED' as never })).toThrow(
      /final_status "SKIPPED" is not a status Autosubmit can set/,
    );
    expect(() => setStatusCommand('a001', { ...list, final_status: 'COMPLETED; id' as never })).toThrow(CommandInputError);
  });

  it.each(['a001_INI; touch /tmp/x', '$(id)', '`id`', 'a001_INI\na001_SIM', '-a001', 'a001_INI a001_SIM'])(
    'refuses the job name %p',
    (name) => {
      expect(() => setStatusCommand('a001', { job_names_list: ['a001_INI', name], final_status: 'COMPLETED' })).toThrow(CommandInputError);
    },
  );

  it('refuses an empty or non-list job selection and a list too long for one argument', () => {
    const bad = [[], 'a001_INI', ['x'.repeat(200)].concat(Array(3000).fill('a001_20000101_fc0_1_SIM_AND_MORE_TEXT'))];
    for (const job_names_list of bad) {
      expect(() => setStatusCommand('a001', { job_names_list, final_status: 'COMPLETED' } as never)).toThrow(CommandInputError);
    }
  });

  it.each([
    ['filter_chunks', 'fc0 [1]; id'],
    ['filter_chunks', '$(id)'],
    ['filter_status', 'FAILED|id'],
    ['filter_status', '-h'],
    ['filter_type', '`id`'],
    ['filter_type', 'SIM\nPOST'],
    ['filter_type_chunk', '[ fc0 [1] ],SIM;id'],
    ['filter_type_chunk_split', '[ fc0 [1] ],$HOME'],
  ])('refuses %s %p', (field, value) => {
    const params = { final_status: 'COMPLETED', [field]: value } as unknown as SetStatusParams;
    expect(() => setStatusCommand('a001', params)).toThrow(new RegExp(`^${field} `));
  });

  it('refuses a bad experiment id', () => {
    expect(() => setStatusCommand('a001;id', { filter_type: 'SIM', final_status: 'COMPLETED' })).toThrow(/^expid "a001;id"/);
  });
});
