import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** One chunk of a run's output, in arrival order (the id orders stdout and stderr together). */
@Entity({ name: 'run_output' })
@Index(['runId', 'id'])
export class RunOutput {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ type: 'int', name: 'run_id' })
  runId: number;

  @Column({ type: 'varchar', length: 6 })
  stream: 'stdout' | 'stderr';

  @Column({ type: 'bytea' })
  data: Buffer;

  @Column({ type: 'timestamptz', name: 'created_at', default: () => 'now()' })
  createdAt: Date;
}
