import { ConfigPath, Plain, ProfileParamsError, RunnerProfileSchema } from '@runyard/config';

/** A profile's `SSH:` block as seed 001 writes it, plus Runyard's own keys. */
export interface ProfileSsh {
  HOST?: string;
  PORT?: number;
  USER?: string;
  /** Runyard's own keys, set by the admin only: */
  IDENTITY_FILE?: string;
  IDENTITY_ENV?: string;
  KNOWN_HOSTS?: string;
  HOST_KEY_FINGERPRINT?: string;
  STRICT_HOST_KEY_CHECKING?: boolean;
  /** Seconds. */
  CONNECT_TIMEOUT?: number;
  /** Seconds. */
  KEEPALIVE_INTERVAL?: number;
  RUN_DIR?: string;
  /** Runs held on this host at once, whatever their profile (login nodes limit processes per user). */
  MAX_CONCURRENT_RUNS?: number;
}

/** The SSH keys only the admin may set (a request may fill HOST, PORT and USER). */
export const SSH_ADMIN_KEYS = [
  'IDENTITY_FILE',
  'IDENTITY_ENV',
  'KNOWN_HOSTS',
  'HOST_KEY_FINGERPRINT',
  'STRICT_HOST_KEY_CHECKING',
  'CONNECT_TIMEOUT',
  'KEEPALIVE_INTERVAL',
  'RUN_DIR',
  'MAX_CONCURRENT_RUNS',
] as const;

/** An SSH host as a run reaches it: the address, and the admin's choices of key and host key check. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  /** Path of the private key file. */
  identityFile?: string;
  /** Name of the environment variable holding the private key. */
  identityEnv?: string;
  knownHostsFile?: string;
  /** 'SHA256:…' of the expected host key. */
  hostKeyFingerprint?: string;
  /** false only when the admin wrote STRICT_HOST_KEY_CHECKING: False. */
  strictHostKeyChecking: boolean;
  connectTimeoutMs: number;
  keepaliveIntervalMs: number;
  /** Remote directory holding the run directories (relative paths are under the user's home). */
  runRoot: string;
  maxConcurrentRuns?: number;
}

/**
 * Seed 001 documents `SSH.USER`; the upstream code reads `SSH.USERNAME`: both are accepted. The
 * connection keys (identity, host key check, timeouts) are accepted only from the admin's file.
 */
export function parseSsh(s: Plain, at: ConfigPath, from: 'file' | 'request'): ProfileSsh {
  const known = ['HOST', 'PORT', 'USER', 'USERNAME', ...(from === 'file' ? SSH_ADMIN_KEYS : [])];
  at.onlyKeys(s, known, `unknown SSH key (known: ${known.join(', ')})`);
  if (s.USER !== undefined && s.USERNAME !== undefined && s.USER !== s.USERNAME) {
    at.at('USERNAME').fail('USER and USERNAME are the same setting and disagree');
  }
  const ssh: ProfileSsh = {};
  if (s.HOST !== undefined) {
    if (typeof s.HOST !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9.-]*$|^\[?[0-9a-fA-F:.]+\]?$/.test(s.HOST))
      at.at('HOST').fail('must be a host name or address');
    ssh.HOST = s.HOST as string;
  }
  if (s.PORT !== undefined) ssh.PORT = at.at('PORT').int(s.PORT, 1, 65535, 'must be a port number 1-65535');
  const user = s.USER ?? s.USERNAME;
  if (user !== undefined) {
    if (typeof user !== 'string' || !/^[a-z_][a-z0-9_.-]*\$?$/i.test(user))
      at.at(s.USER !== undefined ? 'USER' : 'USERNAME').fail('must be a user name');
    ssh.USER = user as string;
  }
  for (const k of ['IDENTITY_FILE', 'KNOWN_HOSTS', 'RUN_DIR'] as const) {
    if (s[k] !== undefined) ssh[k] = at.at(k).path(s[k]);
  }
  if (s.IDENTITY_ENV !== undefined) {
    if (typeof s.IDENTITY_ENV !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(s.IDENTITY_ENV)) {
      at.at('IDENTITY_ENV').fail('must be the name of an environment variable holding the private key');
    }
    ssh.IDENTITY_ENV = s.IDENTITY_ENV as string;
  }
  if (s.IDENTITY_FILE !== undefined && s.IDENTITY_ENV !== undefined)
    at.at('IDENTITY_ENV').fail('set IDENTITY_FILE or IDENTITY_ENV, not both');
  if (s.HOST_KEY_FINGERPRINT !== undefined) {
    if (typeof s.HOST_KEY_FINGERPRINT !== 'string' || !/^SHA256:[A-Za-z0-9+/]{43}$/.test(s.HOST_KEY_FINGERPRINT)) {
      at.at('HOST_KEY_FINGERPRINT').fail('must be a SHA256:… fingerprint as `ssh-keygen -lf` prints it');
    }
    ssh.HOST_KEY_FINGERPRINT = s.HOST_KEY_FINGERPRINT as string;
  }
  if (s.STRICT_HOST_KEY_CHECKING !== undefined)
    ssh.STRICT_HOST_KEY_CHECKING = at.at('STRICT_HOST_KEY_CHECKING').bool(s.STRICT_HOST_KEY_CHECKING, true);
  if (s.CONNECT_TIMEOUT !== undefined)
    ssh.CONNECT_TIMEOUT = at.at('CONNECT_TIMEOUT').int(s.CONNECT_TIMEOUT, 1, 3600, 'must be seconds (1-3600)');
  if (s.MAX_CONCURRENT_RUNS !== undefined) {
    ssh.MAX_CONCURRENT_RUNS = at
      .at('MAX_CONCURRENT_RUNS')
      .int(s.MAX_CONCURRENT_RUNS, 1, 100_000, 'must be a whole number of runs (1-100000)');
  }
  if (s.KEEPALIVE_INTERVAL !== undefined) {
    ssh.KEEPALIVE_INTERVAL = at.at('KEEPALIVE_INTERVAL').int(s.KEEPALIVE_INTERVAL, 0, 3600, 'must be seconds (0-3600)');
  }
  return ssh;
}

/** Host keys are checked unless the admin explicitly turned it off; defaults as OpenSSH's where it has one. */
export function sshTarget(ssh: ProfileSsh & { HOST: string; USER: string }): SshTarget {
  return {
    host: ssh.HOST,
    port: ssh.PORT ?? 22,
    user: ssh.USER,
    identityFile: ssh.IDENTITY_FILE,
    identityEnv: ssh.IDENTITY_ENV,
    knownHostsFile: ssh.KNOWN_HOSTS,
    hostKeyFingerprint: ssh.HOST_KEY_FINGERPRINT,
    strictHostKeyChecking: ssh.STRICT_HOST_KEY_CHECKING ?? true,
    connectTimeoutMs: (ssh.CONNECT_TIMEOUT ?? 20) * 1000,
    keepaliveIntervalMs: (ssh.KEEPALIVE_INTERVAL ?? 15) * 1000,
    runRoot: ssh.RUN_DIR ?? '.runyard/runs',
    maxConcurrentRuns: ssh.MAX_CONCURRENT_RUNS,
  };
}

/** The SSH runner's part of a profile: the `SSH:` block, RUNNERS.SSH's connection keys and v4alpha's extra params. */
export const SSH_PROFILE: Required<Omit<RunnerProfileSchema, 'type'>> = {
  block: 'SSH',
  toggleKeys: SSH_ADMIN_KEYS,
  parseBlock: (raw, at, from) => parseSsh(raw, at, from) as Plain,
  target(block, profile) {
    const ssh = (block ?? {}) as ProfileSsh;
    if (!ssh.HOST) throw new ProfileParamsError(`profile ${profile} is an SSH profile without SSH.HOST`);
    if (!ssh.USER) throw new ProfileParamsError(`profile ${profile} is an SSH profile without SSH.USER`);
    return sshTarget(ssh as ProfileSsh & { HOST: string; USER: string });
  },
  publicBlock(block) {
    const { IDENTITY_FILE: _file, IDENTITY_ENV: _env, ...rest } = block;
    return rest;
  },
  fromExtraParams: (extra) => ({ HOST: extra.ssh_host, USER: extra.ssh_user, PORT: extra.ssh_port ?? 22 }),
  describeTarget(target) {
    const t = target as SshTarget;
    return { host: t.host, port: t.port, user: t.user };
  },
  limits(target) {
    const t = target as SshTarget;
    return t.maxConcurrentRuns ? [{ key: `ssh:${t.host}:${t.port}`, max: t.maxConcurrentRuns, what: `SSH host ${t.host}:${t.port}` }] : [];
  },
};
