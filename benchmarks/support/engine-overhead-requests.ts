/** The requests engine-overhead.ts decides: as the HTTP, pg and ssh adapters hand them in. */
import type { PolicyRequest } from '@portcullis/core';

/** Representative requests as the adapters hand them in (fastify's parsed JSON body, node headers). */
export const overheadRequests: Record<string, PolicyRequest> = {
  http: {
    subject: {
      id: 'agent-7@example.com',
      kind: 'agent',
      groups: ['agents'],
      claims: { act: { sub: 'bob' } },
    },
    resource: { type: 'http', name: 'billing-api', labels: { env: 'prod' } },
    session: { source: '10.0.7.3' },
    http: {
      method: 'POST',
      url: '/v1/customers?expand=card&limit=10',
      headers: {
        host: 'billing.example.com',
        'content-type': 'application/json',
        authorization: 'Bearer abc.def.ghi',
        'user-agent': 'autocannon/7',
        accept: '*/*',
        'content-length': '66',
        connection: 'keep-alive',
      },
      body: { email: 'bob@example.com', name: 'Bob', address: { city: 'Paris' } },
    },
  },
  sql: {
    subject: { id: 'agent-7@example.com', kind: 'agent' },
    resource: { type: 'postgres', name: 'prod-db', labels: { env: 'prod' } },
    session: { id: 'b1c0a7e2-0000-4000-8000-000000000001', source: '10.0.0.9' },
    sql: 'SELECT u.id, u.email, o.total FROM users u JOIN orders o ON o.user_id = u.id WHERE u.id = 42',
  },
  shell: {
    subject: { id: 'alice@example.com', kind: 'human', groups: ['ops'] },
    resource: { type: 'ssh', name: 'web-1', labels: { env: 'prod' } },
    session: { id: 'b1c0a7e2-0000-4000-8000-000000000002', source: '10.0.0.8' },
    command: 'sudo systemctl status nginx && tail -n 100 /var/log/nginx/error.log | grep -i timeout',
  },
};
