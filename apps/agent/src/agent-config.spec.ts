import { AgentConfigError, agentConfig } from './agent-config';

describe("the agent's environment", () => {
  it('is a pull agent by default, and names every missing or bad variable at once', () => {
    expect(() => agentConfig({})).toThrow(AgentConfigError);
    expect(() => agentConfig({ RUNYARD_URL: 'ftp://x', RUNYARD_AGENT_ID: '../a' })).toThrow(
      /RUNYARD_URL must be an http\(s\) URL \(its value is not repeated here\)\n\s+RUNYARD_AGENT_ID=\.\.\/a: must be an id/,
    );
    // A bad URL may still hold a password: it is never printed.
    expect(() => agentConfig({ RUNYARD_URL: 'ftp://agent:hunter2@x', RUNYARD_AGENT_ID: 'a' })).toThrow(/^(?![\s\S]*hunter2)/);
    const c = agentConfig({
      RUNYARD_URL: 'https://ry.example.org',
      RUNYARD_AGENT_ID: 'gpu1',
      RUNYARD_AGENT_SECRET: 's',
      RUNYARD_AGENT_CONCURRENCY: '8',
    });
    expect(c).toMatchObject({
      mode: 'pull',
      pull: { url: 'https://ry.example.org', agentId: 'gpu1', secret: 's', concurrency: 8, cancelGraceMs: 10_000 },
    });
  });

  it("is Automn's runner with Automn's variables: the endpoint from the public URL and path, Automn's defaults", () => {
    const c = agentConfig({
      AUTOMN_HOST_URL: 'http://automn:8088',
      AUTOMN_RUNNER_ID: 'default',
      AUTOMN_RUNNER_PUBLIC_URL: 'http://runner:3030',
    });
    expect(c).toMatchObject({
      mode: 'push',
      push: {
        hostUrl: 'http://automn:8088',
        runnerId: 'default',
        endpointUrl: 'http://runner:3030/api/run',
        port: 3030,
        listenHost: '127.0.0.1',
        heartbeatMs: 60_000,
      },
    });
    expect(agentConfig({ AUTOMN_RUNNER_ID: 'r', AUTOMN_RUNNER_LISTEN_HOST: '0.0.0.0' })).toMatchObject({ push: { listenHost: '0.0.0.0' } });
    const explicit = agentConfig({ AUTOMN_RUNNER_ID: 'r', AUTOMN_RUNNER_ENDPOINT_URL: 'https://r.example.org/hooks/run', PORT: '4000' });
    expect(explicit).toMatchObject({ push: { endpointUrl: 'https://r.example.org/hooks/run', port: 4000 } });
    expect(() => agentConfig({ AUTOMN_RUNNER_ID: 'r', AUTOMN_RUNNER_SECRET: 'short' })).toThrow(/at least 12 characters/);
  });
});
