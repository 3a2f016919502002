import type { ActionType, FileFacts, ResourceType, Session, SqlDialect, SubjectKind } from '../contract.js';
import type { HttpRequestInput } from '../http/index.js';

/**
 * What an adapter or the CLI hands the engine: who, where, and exactly one thing being done
 * (`sql`, `command`, `http` or `file`), or nothing for a `connect`. Everything optional here has a
 * default in the input document.
 */
export interface PolicyRequest {
  subject: { id: string; kind?: SubjectKind; groups?: string[]; claims?: Record<string, unknown> };
  resource: { type: ResourceType; name: string; labels?: Record<string, string> };
  session?: Partial<Session>;
  /** SQL text; the dialect defaults to `postgresql`. */
  sql?: string | { raw: string; dialect?: SqlDialect };
  /** A command line: action `shell` by default, `exec` when `action: 'exec'`. */
  command?: string;
  http?: HttpRequestInput;
  /** A file operation (sftp, scp): action `file`. */
  file?: FileFacts;
  /** Needed only for `exec` and `connect`; otherwise implied by sql / command / http. */
  action?: ActionType;
  /** RFC 3339; defaults to now. */
  time?: string;
}
