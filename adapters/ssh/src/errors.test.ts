import { PortcullisError } from '@portcullis/core';
import { describe, expect, it } from 'vitest';
import { sshErrorClasses } from './errors.js';

describe('sshErrorClasses', () => {
  it('maps each stable code to a PortcullisError subclass carrying that code', () => {
    for (const [code, ErrorClass] of Object.entries(sshErrorClasses)) {
      const err = new ErrorClass('SHA256:x', 'message');
      expect(err).toBeInstanceOf(PortcullisError);
      expect(err.code).toBe(code);
      expect(code).toMatch(/^PC_SSH_/);
    }
  });
});
