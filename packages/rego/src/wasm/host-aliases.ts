/**
 * `@open-policy-agent/opa-wasm` consults its own six JS builtins before the custom ones a host
 * passes, so a module that names one of them in `builtins()` always gets the loader's version
 * (its `sprintf`, for one, does not format composites as OPA does). Modules compiled for our
 * loader publish such builtins under an alias instead, which only our host builtins serve.
 */
export const LOADER_OWN_BUILTINS: ReadonlySet<string> = new Set([
  'json.is_valid',
  'sprintf',
  'regex.split',
  'yaml.is_valid',
  'yaml.marshal',
  'yaml.unmarshal',
]);

export const HOST_ALIAS_PREFIX = 'portcullis:';

export function hostAlias(name: string): string {
  return `${HOST_ALIAS_PREFIX}${name}`;
}
