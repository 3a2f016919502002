/** The SQL, shell and HTTP requests the Rego benchmarks decide on. */
import type { PolicyRequest } from '@portcullis/core';

export const requests: Record<string, PolicyRequest> = {
  sql: {
    subject: { id: 'agent-7@example.com', kind: 'agent' },
    resource: { type: 'postgres', name: 'prod-db', labels: { env: 'prod' } },
    sql: 'SELECT u.id, u.email, o.total FROM users u JOIN orders o ON o.user_id = u.id WHERE u.id = 42',
  },
  shell: {
    subject: { id: 'alice@example.com', kind: 'human' },
    resource: { type: 'ssh', name: 'web-1', labels: { env: 'prod' } },
    command: 'sudo systemctl status nginx && tail -n 100 /var/log/nginx/error.log | grep -i timeout',
  },
  http: {
    subject: { id: 'agent-7@example.com', kind: 'agent' },
    resource: { type: 'http', name: 'billing-api', labels: { env: 'prod' } },
    http: {
      method: 'POST',
      url: 'https://billing.example.com/v1/customers?expand=card',
      headers: { 'content-type': 'application/json', authorization: 'Bearer x' },
      body: '{"email":"bob@example.com","name":"Bob","address":{"city":"Paris"}}',
    },
  },
};
