import {
  isChunkFilter,
  isConfigPath,
  isDescription,
  isExpid,
  isSettableJobStatus,
  isGitBranch,
  isGitRepo,
  isHpcName,
  isJobName,
  isJobStatus,
  isJobTypeFilter,
  isStatusFilter,
} from './formats';

// Values that must never pass a strict format: shell metacharacters, newlines, option-like.
const HOSTILE = ['a001; touch /tmp/x', '$(id)', '`id`', 'a001\nid', '-a001', '--help', 'a|b', 'a&b', "a'b", 'a"b', ''];

describe('formats', () => {
  it.each(['a001', 't0ab', 'o001', 'zzzz', '0000'])('accepts the experiment id %p', (v) => {
    expect(isExpid(v)).toBe(true);
  });

  it.each(['A001', 'a00', 'a0011', 'a_01', ...HOSTILE, 1, null])('refuses the experiment id %p', (v) => {
    expect(isExpid(v)).toBe(false);
  });

  it.each(['a001_20000101_fc0_1_SIM', 'a001_INI', 'a001_20000101_fc0_1_1_POST-2', 'a001.LOCAL_SETUP'])('accepts the job name %p', (v) =>
    expect(isJobName(v)).toBe(true),
  );

  it.each([...HOSTILE, 'a001 INI', 'x'.repeat(256)])('refuses the job name %p', (v) => {
    expect(isJobName(v)).toBe(false);
  });

  it('knows every Autosubmit job status, and only those setstatus accepts as final', () => {
    expect(isJobStatus('SKIPPED')).toBe(true);
    expect(isJobStatus('completed')).toBe(false);
    expect(isSettableJobStatus('COMPLETED')).toBe(true);
    expect(isSettableJobStatus('SKIPPED')).toBe(false);
  });

  it.each(['FAILED', 'FAILED READY', 'Any'])('accepts the status filter %p', (v) => {
    expect(isStatusFilter(v)).toBe(true);
  });

  it.each(['FAILED  READY', ' FAILED', 'failed', 'FAILED,READY', ...HOSTILE])('refuses the status filter %p', (v) => {
    expect(isStatusFilter(v)).toBe(false);
  });

  it.each(['SIM', 'SIM POST', 'LOCAL_SETUP'])('accepts the job type filter %p', (v) => {
    expect(isJobTypeFilter(v)).toBe(true);
  });

  it.each(['SIM  POST', 'SIM,POST', ...HOSTILE])('refuses the job type filter %p', (v) => {
    expect(isJobTypeFilter(v)).toBe(false);
  });

  it.each(['fc0 [1 2 3]', '[ 19601101 [ fc0 [1 2 3 4] ] ]', '[ 19601101 [ fc0 [1 2 3 4] fc1 [1] ] 19651101 [ fc0 [16-30] ] ]', 'Any'])(
    'accepts the chunk filter %p',
    (v) => {
      expect(isChunkFilter(v)).toBe(true);
    },
  );

  it('accepts job types after the chunks only in the type-chunk filters', () => {
    const typed = '[ 19601101 [ fc0 [1 [1 2] 2 3 4] Any [1] ] 19651101 [ fc0 [16-30] ] ],SIM,SIM2,SIM3';
    expect(isChunkFilter(typed, true)).toBe(true);
    expect(isChunkFilter(typed)).toBe(false);
  });

  it.each(['[ fc0 [1 2 ]', '] [', ' -x', ...HOSTILE])('refuses the chunk filter %p', (v) => {
    expect(isChunkFilter(v, true)).toBe(false);
  });

  it.each(['Experiment created using the runner', 'Ünïcode, quotes "\' and $(id) are just text', 'multi\nline'])(
    'accepts the description %p',
    (v) => expect(isDescription(v)).toBe(true),
  );

  it.each(['', '   ', '-rf', 'nul\0byte', 'x'.repeat(1025)])('refuses the description %p', (v) => {
    expect(isDescription(v)).toBe(false);
  });

  it.each([
    'https://github.com/BSC-ES/autosubmit.git',
    'ssh://git@earth.bsc.es:2222/es/auto-ecearth3.git',
    'git@github.com:BSC-ES/autosubmit.git',
    'file:///srv/git/model.git',
    '/srv/git/model.git',
  ])('accepts the git repository %p', (v) => {
    expect(isGitRepo(v)).toBe(true);
  });

  it.each(['ext::sh -c id', 'https://host/repo.git;id', '--upload-pack=id', 'host:path', ...HOSTILE])(
    'refuses the git repository %p',
    (v) => expect(isGitRepo(v)).toBe(false),
  );

  it.each(['main', 'feature/new-model', 'v4.1.16', '3f2a9c1'])('accepts the git branch %p', (v) => {
    expect(isGitBranch(v)).toBe(true);
  });

  it.each(['a..b', 'feature/', 'x.lock', 'a//b', ...HOSTILE])('refuses the git branch %p', (v) => {
    expect(isGitBranch(v)).toBe(false);
  });

  it('checks platform names and configuration paths', () => {
    expect(isHpcName('MN5')).toBe(true);
    expect(isHpcName('mn5-gpp')).toBe(true);
    expect(isHpcName('-MN5')).toBe(false);
    expect(isHpcName('MN5;id')).toBe(false);
    expect(isConfigPath('conf/bootstrap/')).toBe(true);
    expect(isConfigPath('/abs/conf')).toBe(true);
    expect(isConfigPath('conf/../../etc')).toBe(false);
    expect(isConfigPath('-conf')).toBe(false);
    expect(isConfigPath('conf dir')).toBe(false);
  });
});
