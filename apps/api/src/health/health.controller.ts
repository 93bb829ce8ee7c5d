import { Controller, Get } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { RunQueues } from '@runyard/queue';
import { UnavailableError } from '@runyard/runs';
import { Public } from '@runyard/auth';

@Controller('health')
@Public()
export class HealthController {
  constructor(
    private readonly db: DataSource,
    private readonly queues: RunQueues,
  ) {}

  @Get()
  alive() {
    return { status: 'ok' };
  }

  /** 200 only when the database and the queue answer. */
  @Get('ready')
  async ready() {
    const timeout = <T>(p: Promise<T>) =>
      Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error('timed out')), 2000))]);
    const check = async (name: string, p: Promise<unknown>) => {
      try {
        await timeout(p);
        return [name, 'up'] as const;
      } catch (e) {
        return [name, `down: ${(e as Error).message}`] as const;
      }
    };
    const results = Object.fromEntries(
      await Promise.all([check('database', this.db.query('SELECT 1')), check('queue', this.queues.ping())]),
    );
    const down = Object.entries(results).filter(([, v]) => v !== 'up');
    if (down.length > 0) throw new UnavailableError(down.map(([k, v]) => `${k} ${v}`).join('; '));
    return { status: 'ok', ...results };
  }
}
