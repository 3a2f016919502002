import { describeApprovalStore } from '../../test/support/approval-store-suite.js';
import { InMemoryApprovalStore } from './index.js';

// The same scenarios run against the gateway's SQLite and PostgreSQL stores.
describeApprovalStore('InMemoryApprovalStore', async (options) => new InMemoryApprovalStore(options), {
  fakeTimers: true,
});
