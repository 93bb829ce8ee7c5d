import { Inject, Injectable, Logger } from '@nestjs/common';
import { ChannelWakeups, DATABASE_URL, RUNS_CHANNEL } from '@runyard/persistence';

/** Wakes whoever follows a run (`run <id>`) when its status changes; the LISTEN connection opens with the first wait. */
@Injectable()
export class RunWakeups extends ChannelWakeups {
  constructor(@Inject(DATABASE_URL) databaseUrl: string) {
    super({
      databaseUrl,
      channel: RUNS_CHANNEL,
      applicationName: 'runyard-run-wakeups',
      what: 'run status changes',
      log: new Logger('RunWakeups'),
    });
  }
}
