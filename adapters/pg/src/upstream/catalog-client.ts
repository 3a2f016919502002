/**
 * Resolves result columns (table OID, attribute number) to `schema.table.column` through
 * the upstream's catalog, on a connection of its own: the client's connection is busy
 * streaming the very result that needs resolving. Opened on first use, one per session.
 */

import type { Socket } from 'node:net';
import { readDataRow, readNoticeFields } from '../protocol/backend-messages.js';
import { writeQuery, writeTerminate } from '../protocol/frontend-writers.js';
import { BackendCode, ErrorField } from '../protocol/message-codes.js';
import { MessageWriter } from '../protocol/message-writer.js';
import { connectUpstream } from './connect-upstream.js';
import { FrameSource } from './frame-source.js';
import { UpstreamError } from './upstream-error.js';
import type { UpstreamOptions } from './upstream-options.js';

export interface ResolvedColumn {
  schema: string;
  table: string;
  column: string;
}

export interface ColumnKey {
  tableOid: number;
  attributeNumber: number;
}

export class CatalogClient {
  private connection: Promise<{ socket: Socket; source: FrameSource }> | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly options: UpstreamOptions,
    private readonly startupParameters: Readonly<Record<string, string>>,
    private readonly maxMessageSize: number,
  ) {}

  private closed = false;

  private connect(): Promise<{ socket: Socket; source: FrameSource }> {
    // A lookup that starts after close (the session ended while its frames were still being
    // handled) must not open a connection nobody will close: that backend would leak.
    if (this.closed) return Promise.reject(new UpstreamError('the catalog connection is closed'));
    this.connection ??= connectUpstream(this.options, this.startupParameters, this.maxMessageSize).then(
      (c) => {
        const source = new FrameSource(c.socket, c.framer);
        return { socket: c.socket, source };
      },
    );
    return this.connection;
  }

  /** Look up columns; keys the catalog does not know (a dropped column) are absent from the result. */
  resolve(keys: readonly ColumnKey[]): Promise<Map<string, ResolvedColumn>> {
    const run = this.queue.then(() => this.lookup(keys));
    this.queue = run.catch(() => {});
    return run;
  }

  /** The columns of a table named as SQL would name it (`users`, `public."Users"`), in order. */
  tableColumns(name: readonly string[]): Promise<ResolvedColumn[]> {
    const run = this.queue.then(() => this.tableLookup(name));
    this.queue = run.catch(() => {});
    return run;
  }

  private async tableLookup(name: readonly string[]): Promise<ResolvedColumn[]> {
    const qualified = name.map((part) => `"${part.replaceAll('"', '""')}"`).join('.');
    const rows = await this.query(
      'SELECT n.nspname, c.relname, a.attname ' +
        'FROM pg_catalog.pg_attribute a ' +
        'JOIN pg_catalog.pg_class c ON c.oid = a.attrelid ' +
        'JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace ' +
        `WHERE a.attrelid = '${qualified.replaceAll("'", "''")}'::regclass ` +
        'AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum',
    );
    return rows.map(([schema, table, column]) => ({
      schema: schema ?? '',
      table: table ?? '',
      column: column ?? '',
    }));
  }

  private async lookup(keys: readonly ColumnKey[]): Promise<Map<string, ResolvedColumn>> {
    const out = new Map<string, ResolvedColumn>();
    if (keys.length === 0) return out;
    // The keys are integers we read from the wire ourselves, so they can be inlined.
    const pairs = keys.map((k) => `(${k.tableOid >>> 0}::oid,${k.attributeNumber | 0}::int2)`).join(',');
    const rows = await this.query(
      'SELECT a.attrelid, a.attnum, n.nspname, c.relname, a.attname ' +
        'FROM pg_catalog.pg_attribute a ' +
        'JOIN pg_catalog.pg_class c ON c.oid = a.attrelid ' +
        'JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace ' +
        `WHERE (a.attrelid, a.attnum) IN (${pairs})`,
    );
    for (const [oid, attnum, schema, table, column] of rows) {
      out.set(columnKey(Number(oid), Number(attnum)), {
        schema: schema ?? '',
        table: table ?? '',
        column: column ?? '',
      });
    }
    return out;
  }

  /** One simple-protocol query on the catalog connection; rows as text. */
  private async query(sql: string): Promise<string[][]> {
    const { socket, source } = await this.connect();
    const w = new MessageWriter(sql.length + 16);
    writeQuery(w, sql);
    socket.write(w.flush());
    const rows: string[][] = [];
    let error: UpstreamError | undefined;
    for (;;) {
      const frame = await source.next();
      if (frame.type === BackendCode.DataRow) {
        rows.push(readDataRow(frame.body).map((v) => v?.toString('utf8') ?? ''));
      } else if (frame.type === BackendCode.ErrorResponse) {
        const fields = readNoticeFields(frame.body);
        error = new UpstreamError(`catalog lookup failed: ${fields.get(ErrorField.Message) ?? ''}`, {
          fields,
        });
      } else if (frame.type === BackendCode.ReadyForQuery) {
        if (error) throw error;
        return rows;
      }
    }
  }

  close(): void {
    this.closed = true;
    const connection = this.connection;
    this.connection = undefined;
    connection
      ?.then(({ socket, source }) => {
        source.detach();
        const w = new MessageWriter(8);
        writeTerminate(w);
        socket.end(w.flush());
      })
      .catch(() => {});
  }
}

export function columnKey(tableOid: number, attributeNumber: number): string {
  return `${tableOid}.${attributeNumber}`;
}
