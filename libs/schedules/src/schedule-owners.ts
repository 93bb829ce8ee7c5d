import { Injectable, Logger } from '@nestjs/common';
import { TokensService } from '@runyard/auth';
import { ROLES } from '@runyard/persistence';
import type { ApiToken, Schedule } from '@runyard/persistence';
import { ScheduleQueue } from './schedule-queue';
import { SchedulesRepository } from './schedules.repository';

/** The least role a schedule's owner needs for it to fire: the role that may submit a run. */
const FIRING_ROLE = 'operator';

/** Why a schedule owned by `token` may not fire any more; null when it may. */
export function ownerProblem(tokenId: string, token: ApiToken | null): string | null {
  if (!token) return `its owner's token ${tokenId} no longer exists`;
  if (token.revokedAt) return `its owner's token ${token.name} was revoked`;
  if (ROLES.indexOf(token.role) < ROLES.indexOf(FIRING_ROLE))
    return `its owner's token ${token.name} has role ${token.role}, not ${FIRING_ROLE}`;
  return null;
}

/**
 * A schedule fires with its owner's identity (the token that created or last resumed it): once that
 * token is revoked or may no longer run, the schedule is paused with the reason and fires nothing.
 */
@Injectable()
export class ScheduleOwners {
  private readonly log = new Logger('Schedules');

  constructor(
    private readonly tokens: TokensService,
    private readonly repo: SchedulesRepository,
    private readonly queue: ScheduleQueue,
  ) {}

  /** Pauses the schedule if its owner may not fire it; answers whether it did. */
  async pausedForOwner(schedule: Schedule): Promise<boolean> {
    if (!schedule.ownerTokenId || schedule.paused) return false;
    const problem = ownerProblem(schedule.ownerTokenId, await this.tokens.byId(schedule.ownerTokenId));
    if (!problem) return false;
    await this.repo.setPaused(schedule.name, true, problem);
    this.log.warn(`schedule ${schedule.name} paused: ${problem}`);
    await this.queue
      .stop(schedule.name)
      .catch((e: Error) => this.log.warn(`schedule ${schedule.name}: its job scheduler stays until the queue is back: ${e.message}`));
    return true;
  }

  /** Every active schedule checked (at start and periodically), so one that rarely fires shows its pause too. */
  async sweep(): Promise<void> {
    for (const schedule of await this.repo.all()) await this.pausedForOwner(schedule);
  }
}
