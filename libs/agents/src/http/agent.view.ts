import { ApiProperty } from '@nestjs/swagger';
import { AGENT_STATUSES } from '../agent';
import type { AgentStatus } from '../agent';

const TIME = { type: String, format: 'date-time' } as const;
const text = (example: string | null) => ({ type: 'string', nullable: true, example }) as const;

/** An agent as the API shows it (presentAgent): never its secrets. */
export class AgentView {
  @ApiProperty({ example: 'gpu-1' })
  id: string;
  @ApiProperty({ example: 'GPU box' })
  name: string;
  @ApiProperty({ enum: AGENT_STATUSES, example: 'online' })
  status: AgentStatus;
  @ApiProperty({ enum: ['pull', 'push'], example: 'pull', description: 'push: Automn’s runner protocol, runs sent to its endpoint' })
  mode: 'pull' | 'push';
  @ApiProperty({ type: [String], example: ['gpu'] })
  tags: string[];
  @ApiProperty({ type: 'integer', example: 4 })
  max_concurrency: number;
  @ApiProperty({ type: 'integer', nullable: true, example: null, description: 'the cap the agent itself says' })
  advertised_concurrency: number | null;
  @ApiProperty({ type: 'integer', example: 1 })
  active_runs: number;
  @ApiProperty(text(null))
  endpoint: string | null;
  @ApiProperty({ ...TIME, nullable: true, example: '2026-12-07T09:30:00.000Z' })
  last_seen_at: Date | null;
  @ApiProperty(text(null))
  status_message: string | null;
  @ApiProperty(text('0.1.0'))
  version: string | null;
  @ApiProperty(text('linux'))
  os: string | null;
  @ApiProperty(text('x64'))
  arch: string | null;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, example: { python: '3.12.3', node: '20.20.2' } })
  runtimes: Record<string, string>;
  @ApiProperty({ example: false })
  drain: boolean;
  @ApiProperty({ example: false })
  disabled: boolean;
  @ApiProperty({ ...TIME, example: '2026-12-01T08:00:00.000Z' })
  secret_created_at: Date;
  @ApiProperty({ ...TIME, example: '2026-12-01T08:00:00.000Z' })
  created_at: Date;
  @ApiProperty({ example: 'admin' })
  created_by: string;
}

/** The answer of registering an agent: its secret, this once. */
export class NewAgentView extends AgentView {
  @ApiProperty({
    example: 'qe9aZe1Qs8ECLqDl3pboUB6sw8R4GHcoT4k01pQ5Zu8',
    description: '32 random bytes, base64url; shown in this answer only',
  })
  secret: string;
}
