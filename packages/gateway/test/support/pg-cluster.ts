/**
 * A throw-away PostgreSQL cluster for the gateway's tests (state store and upstream): the pg
 * adapter's test server (Debian's binaries, loopback, scram-sha-256), plus a connection URL.
 */
import { startPostgres } from '@portcullis/pg/test-support/postgres-server';

export interface PgCluster {
  host: string;
  port: number;
  user: string;
  password: string;
  /** `postgres://postgres@127.0.0.1:port/postgres` (no password: it goes separately). */
  url: string;
  stop(): Promise<void>;
}

export async function startPgCluster(): Promise<PgCluster> {
  const server = await startPostgres();
  return { ...server, url: `postgres://${server.user}@${server.host}:${server.port}/postgres` };
}

export async function createDatabase(cluster: PgCluster, name: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({
    host: cluster.host,
    port: cluster.port,
    user: cluster.user,
    password: cluster.password,
    database: 'postgres',
  });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}
