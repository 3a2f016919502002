import type { ResourceConfig } from '../config/gateway-config.js';
import { startHttpResource } from './http-resource.js';
import { startPostgresResource } from './postgres-resource.js';
import type { ResourceContext, RunningResource } from './resource-context.js';
import { startSshResource } from './ssh-resource.js';

/** Starts a resource of any configured type; the config validator admits only these types. */
export function startResource(ctx: ResourceContext, resource: ResourceConfig): Promise<RunningResource> {
  switch (resource.type) {
    case 'postgres':
      return startPostgresResource(ctx, resource);
    case 'ssh':
      return startSshResource(ctx, resource);
    case 'http':
      return startHttpResource(ctx, resource);
  }
}
