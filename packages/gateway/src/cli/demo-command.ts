import { buildInputDocument, type PolicyRequest } from '@portcullis/core';
import { type CliIo, writeLine } from './cli-io.js';

/** Example requests the main job runs until the gateway server exists. */
export const demoRequests: PolicyRequest[] = [
  {
    subject: { id: 'agent-7@example.com', kind: 'agent' },
    resource: { type: 'postgres', name: 'prod-db', labels: { env: 'prod' } },
    sql: "DROP TABLE users; SELECT email, 'DROP TABLE x' FROM public.users u WHERE u.id = 1",
  },
  {
    subject: { id: 'alice@example.com', kind: 'human', groups: ['dba'] },
    resource: { type: 'ssh', name: 'web-1', labels: { env: 'prod' } },
    command: 'sudo env X=1 bash -c "r\'\'m -rf /" ; echo "rm -rf /" | grep rm',
  },
  {
    subject: { id: 'agent-7@example.com', kind: 'agent' },
    resource: { type: 'http', name: 'billing-api', labels: { env: 'prod' } },
    http: {
      method: 'post',
      url: 'https://billing.example.com/v1/customers?expand=card&expand=ssn',
      headers: { Authorization: 'Bearer secret-token', 'Content-Type': 'application/json' },
      body: '{"email":"bob@example.com","card":"4111 1111 1111 1111"}',
    },
  },
];

export async function runDemo(io: CliIo): Promise<number> {
  for (const request of demoRequests) {
    const doc = await buildInputDocument(request);
    await writeLine(io.stdout, JSON.stringify(doc, null, 2));
  }
  return 0;
}
