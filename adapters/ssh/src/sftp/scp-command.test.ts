import { describe, expect, it } from 'vitest';
import { openFacts } from './file-facts.js';
import { parseScpCommand } from './scp-command.js';

describe('parseScpCommand', () => {
  it('reads the paths of a download and the target of an upload', async () => {
    expect(await parseScpCommand("scp -f -- '/srv/a b' /srv/c")).toEqual({
      kind: 'scp',
      files: [
        { operation: 'read', path: '/srv/a b', protocol: 'scp', flags: ['read'] },
        { operation: 'read', path: '/srv/c', protocol: 'scp', flags: ['read'] },
      ],
    });
    expect(await parseScpCommand('scp -v -r -d -p -t -- /tmp')).toMatchObject({
      kind: 'scp',
      files: [{ operation: 'write', path: '/tmp', flags: ['write', 'create', 'truncate'] }],
    });
  });

  it('leaves other commands, scp as a client included, to the exec decision', async () => {
    expect(await parseScpCommand('ls -la')).toEqual({ kind: 'not-scp' });
    expect(await parseScpCommand('scp -r /tmp/x other:/tmp')).toEqual({ kind: 'not-scp' });
  });

  it.each([
    'scp -t /tmp/x; rm -rf /',
    'scp -t /tmp/x > /etc/passwd',
    'sudo scp -t /etc/shadow',
    'X=1 scp -t /tmp/x',
    'scp -f -t /tmp/x',
    'scp -t /tmp/a /tmp/b',
    'scp -t -S /bin/sh /tmp/x',
    'scp -f',
    'scp -t $(echo /etc)',
  ])('refuses %j, which only looks like a transfer', async (line) => {
    expect((await parseScpCommand(line)).kind).toBe('malformed');
  });
});

describe('openFacts', () => {
  it('calls an open that creates, truncates or appends a write', () => {
    expect(openFacts('/a', 0x01)).toEqual({
      operation: 'read',
      path: '/a',
      protocol: 'sftp',
      flags: ['read'],
    });
    expect(openFacts('/a', 0x1a).flags).toEqual(['write', 'create', 'truncate']);
    expect(openFacts('/a', 0x01 | 0x08).operation).toBe('write');
    expect(openFacts('/a', 0x04).operation).toBe('write');
    // Bits the draft does not define are not taken for a read.
    expect(openFacts('/a', 0x01 | 0x40).operation).toBe('write');
  });
});
