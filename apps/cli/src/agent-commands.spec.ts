import { UsageError } from './params';
import { agentStartCommand, formatAgentsTable, scriptBody } from './agent-commands';

describe('runyard script run', () => {
  it('takes the language from the file name, the tags as a list, input as JSON and whole seconds', () => {
    expect(scriptBody('job.py', 'print(1)', { tags: 'gpu, linux', input: '{"n":1}', timeLimit: '30', queueTimeout: '5' })).toEqual({
      language: 'python',
      code: 'print(1)',
      tags: ['gpu', 'linux'],
      input: { n: 1 },
      timeout: 30,
      queue_timeout: 5,
    });
    expect(scriptBody('x.mjs', '', { agent: 'a1' })).toEqual({ language: 'node', code: '', agent: 'a1' });
    expect(scriptBody('x', '', { language: 'shell' })).toMatchObject({ language: 'shell' });
  });

  it('refuses what it cannot send as a usage error', () => {
    expect(() => scriptBody('notes.txt', '', {})).toThrow(UsageError);
    expect(() => scriptBody('x.py', '', { input: '[1]' })).toThrow(/JSON object/);
    expect(() => scriptBody('x.py', '', { timeLimit: '1.5' })).toThrow(/whole seconds/);
  });
});

describe('runyard agents', () => {
  it('lists status, mode, tags and load, without colours when piped', () => {
    const text = formatAgentsTable(
      [
        {
          id: 'gpu1',
          status: 'online',
          mode: 'pull',
          tags: ['gpu'],
          active_runs: 1,
          max_concurrency: 4,
          last_seen_at: '2026-01-02T03:04:05.678Z',
          version: '0.1.0',
        },
      ],
      { color: false },
      'Europe/Madrid',
    );
    expect(text).toBe(
      'ID    STATUS  MODE  TAGS  RUNS  LAST SEEN                   VERSION\ngpu1  online  pull  gpu   1/4   2026-01-02 04:04:05 +01:00  0.1.0\n',
    );
  });
});

describe('runyard agents register', () => {
  it('prints the command that starts the agent, every value quoted for the shell', () => {
    expect(agentStartCommand('http://runyard:8080', { id: 'gpu1', secret: 'aB-_x', max_concurrency: 2 }, '/var/lib/runyard-agent')).toBe(
      'RUNYARD_URL=http://runyard:8080 RUNYARD_AGENT_ID=gpu1 RUNYARD_AGENT_SECRET=aB-_x RUNYARD_AGENT_STATE_DIR=/var/lib/runyard-agent ' +
        'RUNYARD_AGENT_CONCURRENCY=2 node dist/apps/agent/main.js',
    );
    expect(agentStartCommand('http://h', { id: 'a', secret: "it's" }, '/srv/my agents')).toBe(
      "RUNYARD_URL=http://h RUNYARD_AGENT_ID=a RUNYARD_AGENT_SECRET='it'\\''s' RUNYARD_AGENT_STATE_DIR='/srv/my agents' node dist/apps/agent/main.js",
    );
  });
});
