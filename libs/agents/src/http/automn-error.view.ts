import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/**
 * Automn's error shape, which its host routes answer (automnErrorBody, by the global error filter): a stock
 * runner builds its message from `error`.
 */
export class AutomnErrorBody {
  @ApiProperty({ example: 'Invalid runner secret', description: 'what went wrong (5xx: Automn’s own “Failed to register runner host”)' })
  error: string;
  @ApiPropertyOptional({ example: 'invalid_secret' })
  code?: string;
}
