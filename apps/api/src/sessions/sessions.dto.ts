import { Type } from 'class-transformer';
import { JSONSchema } from 'class-validator-jsonschema';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBase64,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  ValidateNested,
} from 'class-validator';
import { SDK_RUNTIMES } from '@runyard/config';
import type { SdkRuntime } from '@runyard/config';
import { CODECS, SESSION_KINDS } from '@runyard/sessions';
import type { Codec, SessionKind, SessionStatus } from '@runyard/sessions';

export class RegisterApplicationDto {
  @IsString()
  @MaxLength(64)
  name: string;

  @IsString()
  package_sha: string;

  @IsIn(SDK_RUNTIMES)
  runtime: SdkRuntime;

  /** Unset: the first profile (by name) whose SDK_RUNTIMES include the runtime. */
  @IsOptional()
  @IsString()
  @MaxLength(128)
  profile?: string;

  @IsOptional()
  @IsString()
  @MaxLength(1024)
  workdir?: string;

  @IsOptional()
  @IsBoolean()
  reuse?: boolean;
}

export class PackageQuery {
  /** The size of the package the client is about to upload: refused (413) here when too large. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  size?: number;
}

export class OpenSessionDto {
  @IsString()
  @MaxLength(64)
  application: string;

  @JSONSchema({
    description: 'the session’s name within the application (Flame’s custom session id): an open session of that name is joined',
  })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  name?: string;

  @IsIn(SESSION_KINDS)
  kind: SessionKind;

  @IsIn(CODECS)
  codec: Codec;

  @IsOptional()
  @IsBase64()
  service?: string;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  service_key?: string;

  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  methods: string[] = [];

  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(64)
  replicas?: number;

  @IsOptional()
  @IsString()
  @MaxLength(1024)
  module?: string;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  export?: string;
}

export class CallDto {
  @JSONSchema({
    description:
      'the call’s own id (a uuid), the last part of its result’s key {app}/{session}/{id}; not state or service (the session’s own objects)',
  })
  @IsString()
  @MaxLength(64)
  id: string;

  @IsString()
  @MaxLength(128)
  method: string;

  @IsOptional()
  @IsBase64()
  args?: string;

  @IsOptional()
  @IsString()
  @MaxLength(256)
  args_key?: string;

  @IsArray()
  @ArrayMaxSize(256)
  @IsString({ each: true })
  refs: string[] = [];
}

export class SubmitCallsDto {
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => CallDto)
  calls: CallDto[];
}

export class ListSessionsQuery {
  @IsOptional()
  @IsString()
  application?: string;

  @IsOptional()
  @IsString()
  @MaxLength(128)
  name?: string;

  @IsOptional()
  @IsIn(['open', 'closed', 'lost'])
  status?: SessionStatus;

  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class CallsQuery {
  @JSONSchema({ description: 'the calls after this sequence number (the last one of the previous page)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(-1)
  after?: number;

  @JSONSchema({ description: 'at most this many calls (default 100)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  limit?: number;
}

export class WaitQuery {
  /** How long to wait for the answer to be ready (at most 30 s). */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(60_000)
  wait_ms?: number;
}

export class FinishedCallsQuery extends WaitQuery {
  /** The sequence numbers waited for, as ranges: `0-99,105,200-300`. */
  @IsOptional()
  @Matches(/^\d{1,15}(-\d{1,15})?(,\d{1,15}(-\d{1,15})?){0,255}$/, { message: 'seqs must be sequence numbers and ranges: 0-99,105' })
  seqs?: string;

  /** Calls waited for by the id the client gave them (the last part of their result key): usable before their submission answers. */
  @IsOptional()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}(,[A-Za-z0-9][A-Za-z0-9_-]{0,63}){0,255}$/, {
    message: 'ids must be the calls’ ids, comma-separated (at most 256)',
  })
  ids?: string;
}

export class PutObjectQuery {
  @IsIn(CODECS)
  codec: Codec;
}

export class RemoteErrorDto {
  @IsString()
  @MaxLength(1000)
  type: string;

  @IsString()
  @MaxLength(100_000)
  message: string;

  @IsOptional()
  @IsString()
  @MaxLength(200_000)
  stack?: string;

  @IsOptional()
  @IsBase64()
  pickled?: string;
}

export class ResultDto {
  @IsInt()
  @Min(1)
  call: number;

  @IsBoolean()
  ok: boolean;

  @IsOptional()
  @IsIn(CODECS)
  codec?: Codec;

  @IsOptional()
  @IsBase64()
  data?: string;

  @IsOptional()
  @IsBoolean()
  staged?: boolean;

  @IsOptional()
  @ValidateNested()
  @Type(() => RemoteErrorDto)
  error?: RemoteErrorDto;
}

export class StateDto {
  @IsInt()
  @Min(1)
  version: number;

  @IsIn(CODECS)
  codec: Codec;

  @IsOptional()
  @IsBase64()
  data?: string;

  @IsOptional()
  @IsBoolean()
  staged?: boolean;
}

export class ExchangeDto {
  @IsArray()
  @ArrayMaxSize(1000)
  @ValidateNested({ each: true })
  @Type(() => ResultDto)
  results: ResultDto[] = [];

  @IsOptional()
  @ValidateNested()
  @Type(() => StateDto)
  state?: StateDto;

  @IsInt()
  @Min(0)
  @Max(256)
  max: number;

  @IsInt()
  @Min(0)
  @Max(60_000)
  wait_ms: number;
}

export class FatalDto {
  @IsString()
  @MaxLength(10_000)
  message: string;
}
