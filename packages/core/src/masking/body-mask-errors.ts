/**
 * How a body masker reports that it cannot do its job, so each adapter raises its own error
 * class (and code) while the masking logic lives once, here.
 */
export interface BodyMaskErrors {
  /** The body needs the whole JSON document (JSONPath masks) and exceeds the limit. */
  tooLarge(limit: number): Error;
  /** The decision's masks cannot be applied to this body (binary, compressed, bad JSON …). */
  unenforceable(message: string, options?: { cause?: unknown }): Error;
}
