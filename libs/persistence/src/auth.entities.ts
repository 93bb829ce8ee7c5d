import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** An API token: only its SHA-256 is kept; the token itself is shown once, at creation. */
@Entity({ name: 'api_tokens' })
export class ApiToken {
  /** The public part of the token (`ry_<id>_<secret>`), to find the row without comparing secrets. */
  @PrimaryColumn({ type: 'varchar', length: 16 })
  id: string;

  @Column({ type: 'varchar', length: 128, unique: true })
  name: string;

  @Column({ type: 'varchar', length: 16 })
  role: Role;

  @Column({ type: 'varchar', name: 'secret_sha256', length: 64 })
  secretSha256: string;

  @CreateDateColumn({ type: 'timestamptz', name: 'created_at' })
  createdAt: Date;

  @Column({ type: 'varchar', name: 'created_by', length: 128 })
  createdBy: string;

  @Column({ type: 'timestamptz', name: 'last_used_at', nullable: true })
  lastUsedAt: Date | null;

  @Column({ type: 'timestamptz', name: 'revoked_at', nullable: true })
  revokedAt: Date | null;
}

/** Who did what: every write request, accepted or refused. */
@Entity({ name: 'audit_events' })
export class AuditEvent {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @CreateDateColumn({ type: 'timestamptz' })
  at: Date;

  /** The token's name, or `anonymous`. */
  @Column({ type: 'varchar', length: 128 })
  actor: string;

  @Column({ type: 'varchar', length: 8 })
  method: string;

  @Column({ type: 'varchar', length: 1024 })
  path: string;

  @Column({ type: 'int' })
  status: number;

  @Column({ type: 'varchar', name: 'remote_address', length: 64, nullable: true })
  remoteAddress: string | null;
}
