import { Inject, Injectable, Logger } from '@nestjs/common';
import { ChannelWakeups, DATABASE_URL } from '@runyard/persistence';
import { SDK_CHANNEL } from './sessions.repository';

/**
 * The SDK's wake-ups, one LISTEN connection per API process: a long-polling executor wakes when calls
 * arrive (`c 12`), a client when results are committed (`r 12`).
 */
@Injectable()
export class SdkSignals extends ChannelWakeups {
  constructor(@Inject(DATABASE_URL) databaseUrl: string) {
    super({
      databaseUrl,
      channel: SDK_CHANNEL,
      applicationName: 'runyard-sdk-signals',
      what: 'SDK wake-ups',
      log: new Logger('SdkSignals'),
    });
  }
}
