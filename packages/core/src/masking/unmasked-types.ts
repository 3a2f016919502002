import { InvalidOptionError } from '../errors.js';
import { isTextualEssence } from './body-plan.js';

/**
 * Response types an operator lets through unmasked under detector and pattern masks, which
 * cannot read them: an image, a PDF, an archive would otherwise be refused (a 500, or a
 * rejected fetch) to every subject whose decision masks. Text is never among them: a text or
 * JSON body is masked whatever this says.
 */
export class UnmaskedTypes {
  readonly #exact = new Set<string>();
  readonly #families = new Set<string>();

  /** `image/png`, or `image/*` for every subtype; validated, naming `option` when one is wrong. */
  constructor(types: readonly string[], option = 'unmaskedTypes') {
    if (!Array.isArray(types)) throw new InvalidOptionError(option, 'must be a list of content types');
    types.forEach((raw, i) => {
      const type = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
      const m = /^([a-z0-9][a-z0-9!#$&^_.+-]*)\/(\*|[a-z0-9][a-z0-9!#$&^_.+-]*)$/.exec(type);
      if (!m)
        throw new InvalidOptionError(
          `${option}[${i}]`,
          `must be a content type such as image/png or image/*, got ${JSON.stringify(raw)}`,
        );
      if (m[1] === 'text' || (m[2] !== '*' && isTextualEssence(type)))
        throw new InvalidOptionError(`${option}[${i}]`, `${type} is text, which is always masked`);
      if (m[2] === '*') this.#families.add(m[1] as string);
      else this.#exact.add(type);
    });
  }

  /** Whether a response of this essence (lower-cased, no parameters) passes unmasked. */
  has(essence: string): boolean {
    if (this.#exact.has(essence)) return true;
    const slash = essence.indexOf('/');
    return slash > 0 && this.#families.has(essence.slice(0, slash));
  }
}
