/**
 * Building a schema from a type system document and checking it (spec §3), as gqlparser's
 * ValidateSchemaDocument does after OPA merges in the built-in prelude. Like gqlparser (and
 * unlike the spec) an extension of a type that was never defined defines it, which federated
 * schemas rely on.
 */
import type {
  ArgumentDefinition,
  Definition,
  Directive,
  DirectiveDefinition,
  FieldDefinition,
  GqlType,
  Position,
  SchemaDocument,
} from './graphql-ast.js';
import { GraphqlError, parseSchema } from './graphql-parser.js';

export interface Schema {
  readonly types: Map<string, Definition>;
  readonly directives: Map<string, DirectiveDefinition>;
  /** Object types (and interfaces) that may stand in for an abstract type, by its name. */
  readonly possibleTypes: Map<string, Definition[]>;
  query: Definition | undefined;
  mutation: Definition | undefined;
  subscription: Definition | undefined;
}

/** The types and directives every schema has (spec §3.5 scalars, §3.13 directives, §4.5 introspection). */
const PRELUDE = `
scalar Int
scalar Float
scalar String
scalar Boolean
scalar ID
directive @defer(if: Boolean = true, label: String) on FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @deprecated(reason: String = "No longer supported") on FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE
directive @specifiedBy(url: String!) on SCALAR
directive @oneOf on INPUT_OBJECT
type __Schema {
  description: String
  types: [__Type!]!
  queryType: __Type!
  mutationType: __Type
  subscriptionType: __Type
  directives: [__Directive!]!
}
type __Type {
  kind: __TypeKind!
  name: String
  description: String
  fields(includeDeprecated: Boolean = false): [__Field!]
  interfaces: [__Type!]
  possibleTypes: [__Type!]
  enumValues(includeDeprecated: Boolean = false): [__EnumValue!]
  inputFields(includeDeprecated: Boolean = false): [__InputValue!]
  ofType: __Type
  specifiedByURL: String
  isOneOf: Boolean
}
type __Field {
  name: String!
  description: String
  args(includeDeprecated: Boolean = false): [__InputValue!]!
  type: __Type!
  isDeprecated: Boolean!
  deprecationReason: String
}
type __InputValue {
  name: String!
  description: String
  type: __Type!
  defaultValue: String
  isDeprecated: Boolean!
  deprecationReason: String
}
type __EnumValue {
  name: String!
  description: String
  isDeprecated: Boolean!
  deprecationReason: String
}
enum __TypeKind { SCALAR OBJECT INTERFACE UNION ENUM INPUT_OBJECT LIST NON_NULL }
type __Directive {
  name: String!
  description: String
  locations: [__DirectiveLocation!]!
  args(includeDeprecated: Boolean = false): [__InputValue!]!
  isRepeatable: Boolean!
}
enum __DirectiveLocation {
  QUERY MUTATION SUBSCRIPTION FIELD FRAGMENT_DEFINITION FRAGMENT_SPREAD INLINE_FRAGMENT
  VARIABLE_DEFINITION SCHEMA SCALAR OBJECT FIELD_DEFINITION ARGUMENT_DEFINITION INTERFACE
  UNION ENUM ENUM_VALUE INPUT_OBJECT INPUT_FIELD_DEFINITION
}
`;

let prelude: SchemaDocument | undefined;

function preludeDocument(): SchemaDocument {
  if (prelude === undefined) {
    prelude = parseSchema(PRELUDE);
    for (const def of prelude.Definitions) def.BuiltIn = true;
  }
  return prelude;
}

const BUILTIN_DIRECTIVES = new Set(['include', 'skip', 'deprecated', 'specifiedBy', 'defer', 'oneOf']);

/** The named type at the bottom of list wrappers. */
export function typeName(t: GqlType): string {
  return t.Elem === null ? t.NamedType : typeName(t.Elem);
}

/** Type in GraphQL notation (`[Arr!]!`), as messages print it. */
export function typeString(t: GqlType): string {
  const inner = t.Elem === null ? t.NamedType : `[${typeString(t.Elem)}]`;
  return t.NonNull ? `${inner}!` : inner;
}

const err = (message: string, at: Position | undefined) => new GraphqlError(message, at);

/** Copies a definition, so that extensions and the introspection fields don't change the caller's tree. */
function copyDefinition(d: Definition): Definition {
  return {
    ...d,
    Directives: [...d.Directives],
    Interfaces: [...d.Interfaces],
    Types: [...d.Types],
    Fields: [...d.Fields],
    EnumValues: [...d.EnumValues],
  };
}

/** Builds and checks a schema; throws GraphqlError for the first problem found. */
export function loadSchema(doc: SchemaDocument): Schema {
  const pre = preludeDocument();
  // OPA merges the prelude in ahead of the policy's schema.
  const definitions = [...pre.Definitions, ...doc.Definitions].map(copyDefinition);
  const schema: Schema = {
    types: new Map(),
    directives: new Map(),
    possibleTypes: new Map(),
    query: undefined,
    mutation: undefined,
    subscription: undefined,
  };
  for (const def of definitions) {
    if (schema.types.has(def.Name)) throw err(`Cannot redeclare type ${def.Name}.`, def.Position);
    schema.types.set(def.Name, def);
  }
  const all = [...definitions];
  for (const ext of doc.Extensions) {
    let def = schema.types.get(ext.Name);
    if (def === undefined) {
      def = copyDefinition({ ...ext, Directives: [], Interfaces: [], Types: [], Fields: [], EnumValues: [] });
      def.Description = '';
      schema.types.set(ext.Name, def);
      all.push(def);
    }
    if (def.Kind !== ext.Kind) {
      throw err(
        `Cannot extend type ${ext.Name} because the base type is a ${def.Kind}, not ${ext.Kind}.`,
        ext.Position,
      );
    }
    def.Directives.push(...ext.Directives);
    def.Interfaces.push(...ext.Interfaces);
    def.Fields.push(...ext.Fields);
    def.Types.push(...ext.Types);
    def.EnumValues.push(...ext.EnumValues);
  }
  const addPossible = (name: string, def: Definition | undefined) => {
    if (def === undefined) return;
    const list = schema.possibleTypes.get(name) ?? [];
    list.push(def);
    schema.possibleTypes.set(name, list);
  };
  for (const def of all) {
    if (def.Kind === 'UNION') for (const t of def.Types) addPossible(def.Name, schema.types.get(t));
    else if (def.Kind === 'OBJECT' || def.Kind === 'INPUT_OBJECT') {
      for (const i of def.Interfaces) addPossible(i, def);
      addPossible(def.Name, def);
    } else if (def.Kind === 'INTERFACE') for (const i of def.Interfaces) addPossible(i, def);
  }

  for (const dir of [...pre.Directives, ...doc.Directives]) {
    // SDL may restate the built-in directives; the first statement wins.
    if (schema.directives.has(dir.Name)) {
      if (BUILTIN_DIRECTIVES.has(dir.Name)) continue;
      throw err(`Cannot redeclare directive ${dir.Name}.`, dir.Position);
    }
    schema.directives.set(dir.Name, dir);
  }

  const roots = (ops: readonly { Operation: string; Type: string; Position?: Position }[]) => {
    for (const op of ops) {
      const def = schema.types.get(op.Type);
      if (def === undefined) {
        throw err(
          `Schema root ${op.Operation} refers to a type ${op.Type} that does not exist.`,
          op.Position,
        );
      }
      if (op.Operation === 'query') schema.query = def;
      else if (op.Operation === 'mutation') schema.mutation = def;
      else schema.subscription = def;
    }
  };
  const [first, second] = doc.Schema;
  if (second !== undefined) {
    throw err(
      'Cannot have multiple schema entry points, consider schema extensions instead.',
      second.Position,
    );
  }
  if (first !== undefined) {
    roots(first.OperationTypes);
    validateDirectives(schema, first.Directives, 'SCHEMA', undefined);
  }
  for (const ext of doc.SchemaExtension) {
    roots(ext.OperationTypes);
    validateDirectives(schema, ext.Directives, 'SCHEMA', undefined);
  }

  for (const def of all) validateDefinition(schema, def);
  for (const dir of schema.directives.values()) validateDirectiveDefinition(schema, dir);

  // Root types are inferred from their conventional names only without a schema definition.
  if (first === undefined) {
    schema.query ??= schema.types.get('Query');
    schema.mutation ??= schema.types.get('Mutation');
    schema.subscription ??= schema.types.get('Subscription');
  }
  if (schema.query !== undefined) {
    const named = (NamedType: string, NonNull: boolean): GqlType => ({ NamedType, Elem: null, NonNull });
    const field = (Name: string, Type: GqlType, Arguments: ArgumentDefinition[]): FieldDefinition => ({
      Description: '',
      Name,
      Arguments,
      DefaultValue: null,
      Type,
      Directives: [],
    });
    schema.query.Fields.push(
      field('__schema', named('__Schema', true), []),
      field('__type', named('__Type', false), [
        { Description: '', Name: 'name', DefaultValue: null, Type: named('String', true), Directives: [] },
      ]),
    );
  }
  return schema;
}

function validateName(name: string, at: Position | undefined): void {
  if (name.startsWith('__')) {
    throw err(`Name "${name}" must not begin with "__", which is reserved by GraphQL introspection.`, at);
  }
}

function validateTypeRef(schema: Schema, t: GqlType | null, at: Position | undefined): string {
  const name = t === null ? '' : typeName(t);
  if (!schema.types.has(name)) throw err(`Undefined type ${name}.`, t?.Position ?? at);
  return name;
}

export function validateDirectives(
  schema: Schema,
  dirs: readonly Directive[],
  location: string,
  current: DirectiveDefinition | undefined,
): void {
  for (const dir of dirs) {
    validateName(dir.Name, dir.Position);
    if (current !== undefined && dir.Name === current.Name) {
      throw err(`Directive ${dir.Name} cannot refer to itself.`, dir.Position);
    }
    const def = schema.directives.get(dir.Name);
    if (def === undefined) throw err(`Undefined directive ${dir.Name}.`, dir.Position);
    if (!def.Locations.includes(location)) {
      throw err(`Directive ${dir.Name} is not applicable on ${location}.`, dir.Position);
    }
    for (const arg of dir.Arguments) {
      if (!def.Arguments.some((a) => a.Name === arg.Name)) {
        throw err(`Undefined argument ${arg.Name} for directive ${dir.Name}.`, arg.Position);
      }
    }
    for (const a of def.Arguments) {
      if (a.Type?.NonNull === true && a.DefaultValue === null) {
        const given = dir.Arguments.find((x) => x.Name === a.Name);
        if (given === undefined || given.Value === null || given.Value.Kind === 6) {
          throw err(`Argument ${a.Name} for directive ${dir.Name} cannot be null.`, dir.Position);
        }
      }
    }
  }
}

function validateArguments(
  schema: Schema,
  args: readonly ArgumentDefinition[],
  current: DirectiveDefinition | undefined,
): void {
  for (const arg of args) {
    validateName(arg.Name, arg.Position);
    const name = validateTypeRef(schema, arg.Type, arg.Position);
    const def = schema.types.get(name);
    if (def !== undefined && !['SCALAR', 'ENUM', 'INPUT_OBJECT'].includes(def.Kind)) {
      throw err(
        `cannot use ${typeString(arg.Type!)} as argument ${arg.Name} because ${def.Kind} is not a valid input type`,
        arg.Position,
      );
    }
    validateDirectives(schema, arg.Directives, 'ARGUMENT_DEFINITION', current);
  }
}

function validateDirectiveDefinition(schema: Schema, dir: DirectiveDefinition): void {
  if (!BUILTIN_DIRECTIVES.has(dir.Name)) validateName(dir.Name, dir.Position);
  validateArguments(schema, dir.Arguments, dir);
}

const OUTPUT_KINDS = ['SCALAR', 'OBJECT', 'INTERFACE', 'UNION', 'ENUM'];
const INPUT_KINDS = ['SCALAR', 'ENUM', 'INPUT_OBJECT'];

function validateDefinition(schema: Schema, def: Definition): void {
  const fieldLocation = def.Kind === 'INPUT_OBJECT' ? 'INPUT_FIELD_DEFINITION' : 'FIELD_DEFINITION';
  for (const field of def.Fields) {
    validateName(field.Name, field.Position);
    validateTypeRef(schema, field.Type, field.Position);
    validateArguments(schema, field.Arguments, undefined);
    validateDirectives(schema, field.Directives, fieldLocation, undefined);
  }
  for (const t of def.Types) {
    const member = schema.types.get(t);
    if (member === undefined) throw err(`Undefined type "${t}".`, def.Position);
    if (member.Kind !== 'OBJECT') throw err(`${def.Kind} type "${t}" must be OBJECT.`, def.Position);
  }
  for (const i of def.Interfaces) validateImplements(schema, def, i);
  switch (def.Kind) {
    case 'OBJECT':
    case 'INTERFACE':
      if (def.Fields.length === 0)
        throw err(`${def.Kind} ${def.Name}: must define one or more fields.`, def.Position);
      for (const field of def.Fields) {
        const t = schema.types.get(field.Type === null ? '' : typeName(field.Type));
        if (t !== undefined && !OUTPUT_KINDS.includes(t.Kind)) {
          throw err(
            `${def.Kind} ${def.Name}: field must be one of ${OUTPUT_KINDS.join(', ')}.`,
            field.Position,
          );
        }
      }
      break;
    case 'ENUM':
      if (def.EnumValues.length === 0) {
        throw err(`${def.Kind} ${def.Name}: must define one or more unique enum values.`, def.Position);
      }
      for (const v of def.EnumValues) {
        if (v.Name === 'true' || v.Name === 'false' || v.Name === 'null') {
          throw err(`${def.Kind} ${def.Name}: non-enum value ${v.Name}.`, def.Position);
        }
        validateDirectives(schema, v.Directives, 'ENUM_VALUE', undefined);
      }
      break;
    case 'INPUT_OBJECT':
      if (def.Fields.length === 0) {
        throw err(`${def.Kind} ${def.Name}: must define one or more input fields.`, def.Position);
      }
      for (const field of def.Fields) {
        const t = schema.types.get(field.Type === null ? '' : typeName(field.Type));
        if (t !== undefined && !INPUT_KINDS.includes(t.Kind)) {
          throw err(
            `${def.Kind} ${def.Name}: field must be one of ${INPUT_KINDS.join(', ')}.`,
            field.Position,
          );
        }
      }
      break;
  }
  for (let i = 0; i < def.Fields.length; i++) {
    for (const other of def.Fields.slice(i + 1)) {
      if (other.Name === def.Fields[i]!.Name) {
        throw err(`Field ${def.Name}.${other.Name} can only be defined once.`, other.Position);
      }
    }
  }
  if (!def.BuiltIn) validateName(def.Name, def.Position);
  validateDirectives(schema, def.Directives, def.Kind, undefined);
}

function isCovariant(schema: Schema, required: GqlType | null, actual: GqlType | null): boolean {
  if (required === null || actual === null) return required === actual;
  if (required.NonNull && !actual.NonNull) return false;
  if (required.NamedType !== '') {
    if (required.NamedType === actual.NamedType) return true;
    return (schema.possibleTypes.get(required.NamedType) ?? []).some((d) => d.Name === actual.NamedType);
  }
  if (required.Elem !== null && actual.Elem === null) return false;
  return isCovariant(schema, required.Elem, actual.Elem);
}

/**
 * gqlparser's Type.IsCompatible: the same type, where `other` may only add non-null. It decides
 * both whether an implementation's argument matches its interface's and whether a variable may
 * stand where `other` is expected.
 */
export function isCompatible(t: GqlType | null, other: GqlType | null): boolean {
  if (t === null || other === null) return t === other;
  if (t.NamedType !== other.NamedType) return false;
  if (t.Elem !== null && other.Elem === null) return false;
  if (t.Elem !== null && !isCompatible(t.Elem, other.Elem)) return false;
  return other.NonNull ? t.NonNull : true;
}

function validateImplements(schema: Schema, def: Definition, name: string): void {
  const intf = schema.types.get(name);
  if (intf === undefined) throw err(`Undefined type ${name}.`, def.Position);
  if (intf.Kind !== 'INTERFACE') throw err(`${def.Name} is a non interface type ${name}.`, def.Position);
  for (const required of intf.Fields) {
    const found = def.Fields.find((f) => f.Name === required.Name);
    const prefix = `For ${def.Name} to implement ${name}`;
    if (found === undefined)
      throw err(`${prefix} it must have a field called ${required.Name}.`, def.Position);
    if (!isCovariant(schema, required.Type, found.Type)) {
      throw err(
        `${prefix} the field ${found.Name} must have type ${typeString(required.Type!)}.`,
        found.Position,
      );
    }
    for (const arg of required.Arguments) {
      const foundArg = found.Arguments.find((a) => a.Name === arg.Name);
      if (foundArg === undefined) {
        throw err(
          `${prefix} the field ${found.Name} must have the same arguments but it is missing ${arg.Name}.`,
          found.Position,
        );
      }
      if (!isCompatible(arg.Type, foundArg.Type)) {
        throw err(
          `${prefix} the field ${found.Name} must have the same arguments but ${arg.Name} has the wrong type.`,
          foundArg.Position,
        );
      }
    }
    for (const extra of found.Arguments) {
      if (
        !required.Arguments.some((a) => a.Name === extra.Name) &&
        extra.Type?.NonNull === true &&
        extra.DefaultValue === null
      ) {
        throw err(
          `${prefix} any additional arguments on ${found.Name} must be optional or have a default value but ${extra.Name} is required.`,
          extra.Position,
        );
      }
    }
  }
  for (const transitive of intf.Interfaces) {
    if (!def.Interfaces.includes(transitive)) {
      if (transitive === def.Name) {
        throw err(
          `${def.Name} cannot implement ${name} because it would create a circular reference.`,
          def.Position,
        );
      }
      throw err(
        `${def.Name} must implement ${transitive} because it is implemented by ${name}.`,
        def.Position,
      );
    }
  }
}
