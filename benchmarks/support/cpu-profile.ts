/** A V8 `.cpuprofile` (from `node --cpu-prof`), as the profile readers here use it. */
import { readFileSync } from 'node:fs';

export interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function readProfile(file: string): Profile {
  return JSON.parse(readFileSync(file, 'utf8')) as Profile;
}

/** A node as `name file:line`, paths from the repository's package folders on. */
export function frameLabel(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url
    ? `${url.replace(/^.*\/(adapters|packages|node_modules)\//, '$1/')}:${lineNumber + 1}`
    : '';
  return `${functionName || '(anonymous)'} ${where}`;
}

/** Each sample's leaf node and the time it stands for (µs), in order. */
export function* samples(profile: Profile): Generator<[ProfileNode, number]> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i] as number);
    if (node) yield [node, profile.timeDeltas[i] ?? 0];
  }
}
