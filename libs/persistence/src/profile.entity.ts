import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import type { Profile } from '@runyard/config';

/** A runner profile as the configuration file defines it; synced from the file at start-up. */
@Entity({ name: 'profiles' })
export class ProfileRecord {
  @PrimaryColumn({ type: 'varchar', length: 128 })
  name: string;

  @Column({ type: 'jsonb' })
  definition: Profile;

  @Column({ type: 'varchar', length: 1024, nullable: true })
  source: string | null;

  @UpdateDateColumn({ type: 'timestamptz', name: 'updated_at' })
  updatedAt: Date;
}
