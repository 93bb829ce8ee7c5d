import { Inject, Injectable, Logger } from '@nestjs/common';
import { Environment } from '@runyard/config';
import type { Profile, SdkRuntime } from '@runyard/config';
import { BadInputError, ConflictError, isUniqueViolation, NotFoundError, ProfilesService } from '@runyard/runs';
import { ObjectsService } from './objects.service';
import { PackagesService } from './packages.service';
import { isAppName, SHA256 } from './sdk-names';
import { checkOwner, Requester, RUNYARD } from './sdk-owners';
import type { Application } from './sdk-types';
import { ApplicationSummary, SessionsRepository } from './sessions.repository';
import { SessionsService } from './sessions.service';

export interface RegisterApplication {
  name: string;
  packageSha: string;
  runtime: SdkRuntime;
  profile?: string;
  workdir?: string;
  /** Flame's fail_if_exists=False: use the application if it exists (and leave its cleanup to its owner). */
  reuse?: boolean;
  requester: Requester;
}

/** The runtimes a profile starts executors for: only those it lists (an executor runs whatever code its client sends). */
export const runtimesOf = (profile: Profile): readonly SdkRuntime[] => profile.SDK_RUNTIMES ?? [];

/** Applications: a package, the runtime of its code, the profile (runner and loader) its executors start through, a lease. */
@Injectable()
export class ApplicationsService {
  private readonly log = new Logger('Applications');

  constructor(
    private readonly repo: SessionsRepository,
    private readonly profiles: ProfilesService,
    private readonly packages: PackagesService,
    private readonly objects: ObjectsService,
    private readonly sessions: SessionsService,
    @Inject(Environment) private readonly env: Environment,
  ) {}

  async register(req: RegisterApplication): Promise<{ application: Application; reused: boolean }> {
    if (!isAppName(req.name)) {
      throw new BadInputError(
        `application name ${JSON.stringify(req.name)} must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
      );
    }
    if (!SHA256.test(req.packageSha)) throw new BadInputError(`package_sha must be a SHA-256`);
    if (
      req.workdir !== undefined &&
      (!req.workdir.startsWith('/') || req.workdir.includes('\0') || req.workdir.split('/').includes('..'))
    ) {
      throw new BadInputError(`workdir must be an absolute path without '..'`);
    }
    const existing = await this.repo.application(req.name);
    if (existing) return this.reuse(existing, req);
    if ((await this.repo.packageSize(req.packageSha)) === null) {
      throw new NotFoundError(`package ${req.packageSha} has not been uploaded: PUT /api/v1/packages/${req.packageSha} first`);
    }
    const profileName = await this.profileFor(req.runtime, req.profile);
    const profile = await this.profiles.get(profileName);
    try {
      const application = await this.repo.insertApplication(
        {
          name: req.name,
          packageSha: req.packageSha,
          runtime: req.runtime,
          profileName,
          workdir: req.workdir ?? profile.SDK_WORKDIR ?? null,
          createdBy: req.requester.name,
        },
        this.env.SESSION_LEASE_MS,
      );
      return { application, reused: false };
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      const raced = await this.repo.application(req.name);
      if (!raced) throw e;
      return this.reuse(raced, req);
    }
  }

  private async reuse(existing: Application, req: RegisterApplication): Promise<{ application: Application; reused: boolean }> {
    if (!req.reuse) {
      throw new ConflictError(
        `application ${existing.name} exists already (registered by ${existing.createdBy} at ${existing.createdAt.toISOString()}): ` +
          `choose another name, reuse it (Python: Runner(name) without fail_if_exists=True / TypeScript: { reuse: true }), or remove it (runyard apps rm ${existing.name})`,
        { application: existing.name },
      );
    }
    checkOwner(req.requester, existing, `application ${existing.name}`, 'reuse it');
    if (existing.runtime !== req.runtime) {
      throw new ConflictError(`application ${existing.name} runs ${existing.runtime} code; this client is ${req.runtime}`);
    }
    await this.repo.renewLease(existing.name, this.env.SESSION_LEASE_MS);
    return { application: (await this.repo.application(existing.name)) ?? existing, reused: true };
  }

  /** The profile named (if it can run the runtime), else the first profile by name that can. */
  private async profileFor(runtime: SdkRuntime, named: string | undefined): Promise<string> {
    if (named !== undefined) {
      const profile = await this.profiles.get(named);
      if (!runtimesOf(profile).includes(runtime)) {
        throw new BadInputError(
          `profile ${named} cannot run ${runtime} sessions (its SDK_RUNTIMES: ${JSON.stringify(runtimesOf(profile))}): ` +
            `choose a profile that lists ${runtime}, or add ${runtime} to its SDK_RUNTIMES in runyard.yaml`,
        );
      }
      return named;
    }
    const all = await this.profiles.all();
    const able = Object.keys(all).find((name) => runtimesOf(all[name]).includes(runtime));
    if (!able) {
      const names = Object.keys(all);
      throw new BadInputError(
        `no profile can run ${runtime} sessions${names.length ? ` (profiles: ${names.join(', ')})` : ''}: ` +
          `add ${runtime} to a profile's SDK_RUNTIMES in runyard.yaml (e.g. SDK_RUNTIMES: [${runtime}])`,
      );
    }
    return able;
  }

  async get(name: string): Promise<Application> {
    const app = isAppName(name) ? await this.repo.application(name) : null;
    if (!app) throw new NotFoundError(`application ${name} is not registered`);
    return app;
  }

  list(): Promise<ApplicationSummary[]> {
    return this.repo.applications();
  }

  /** The client is still there: the reaper leaves the application alone until the new expiry. */
  async renewLease(name: string, who: Requester): Promise<Date> {
    const app = isAppName(name) ? await this.repo.application(name) : null;
    if (app) checkOwner(who, app, `application ${name}`, 'renew its lease');
    const expires = app ? await this.repo.renewLease(name, this.env.SESSION_LEASE_MS) : null;
    if (!expires) throw new NotFoundError(`application ${name} is not registered (the reaper may have removed it after its lease expired)`);
    return expires;
  }

  /** Closes its sessions (their executors stop) and unregisters it; its objects and package are the next steps. */
  async unregister(name: string, who: Requester): Promise<string> {
    const app = await this.get(name);
    checkOwner(who, app, `application ${name}`, 'unregister it');
    await this.sessions.closeAllOf(app.name, who.name);
    await this.repo.deleteApplication(app.name);
    return app.packageSha;
  }

  /**
   * Everything an application leaves, in Flame's order (close its services, unregister it, delete
   * its objects, release its package), each step logged when it fails and the rest still done:
   * what the reaper does for a client that vanished.
   */
  async teardown(name: string, requestedBy: string): Promise<void> {
    const app = await this.repo.application(name);
    const step = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (e) {
        this.log.warn(`cleaning up application ${name}: ${what} failed: ${(e as Error).message}`);
      }
    };
    await step('closing its sessions', () => this.sessions.closeAllOf(name, requestedBy));
    await step('unregistering it', () => this.repo.deleteApplication(name));
    await step('deleting its objects', () =>
      this.objects.deleteAll(name, RUNYARD).catch((e) => (e instanceof NotFoundError ? 0 : Promise.reject(e))),
    );
    if (app)
      await step('releasing its package', () =>
        this.packages.release(app.packageSha).catch((e) => (e instanceof ConflictError ? undefined : Promise.reject(e))),
      );
  }
}
