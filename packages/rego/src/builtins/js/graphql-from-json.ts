/**
 * Reading documents back from the JSON that graphql.parse_query and graphql.parse_schema
 * return, so the validating builtins accept either text or a parsed tree as OPA does. Missing
 * fields take Go's zero values, as they do when OPA unmarshals into gqlparser's structs.
 */
import type {
  Argument,
  ArgumentDefinition,
  ChildValue,
  Definition,
  Directive,
  DirectiveDefinition,
  EnumValueDefinition,
  FieldDefinition,
  FragmentDefinition,
  GqlType,
  GqlValue,
  OperationDefinition,
  OperationTypeDefinition,
  QueryDocument,
  SchemaDefinition,
  SchemaDocument,
  Selection,
  ValueKind,
  VariableDefinition,
} from './graphql-ast.js';

type Obj = Record<string, unknown>;

const asObj = (v: unknown): Obj =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
const s = (o: Obj, k: string): string => (typeof o[k] === 'string' ? (o[k] as string) : '');
const b = (o: Obj, k: string): boolean => o[k] === true;
const list = <T>(o: Obj, k: string, f: (x: Obj) => T): T[] =>
  Array.isArray(o[k]) ? (o[k] as unknown[]).map((x) => f(asObj(x))) : [];
const strs = (o: Obj, k: string): string[] =>
  Array.isArray(o[k]) ? (o[k] as unknown[]).filter((x): x is string => typeof x === 'string') : [];
const opt = <T>(o: Obj, k: string, f: (x: Obj) => T): T | null =>
  o[k] !== null && typeof o[k] === 'object' ? f(asObj(o[k])) : null;

function type(o: Obj): GqlType {
  return { NamedType: s(o, 'NamedType'), Elem: opt(o, 'Elem', type), NonNull: b(o, 'NonNull') };
}

function value(o: Obj): GqlValue {
  const kind = typeof o.Kind === 'number' || typeof o.Kind === 'bigint' ? Number(o.Kind) : 0;
  return { Raw: s(o, 'Raw'), Children: list(o, 'Children', child), Kind: kind as ValueKind };
}

function child(o: Obj): ChildValue {
  return { Name: s(o, 'Name'), Value: opt(o, 'Value', value) };
}

function argument(o: Obj): Argument {
  return { Name: s(o, 'Name'), Value: opt(o, 'Value', value) };
}

function directive(o: Obj): Directive {
  return { Name: s(o, 'Name'), Arguments: list(o, 'Arguments', argument), Location: s(o, 'Location') };
}

function variableDefinition(o: Obj): VariableDefinition {
  return {
    Variable: s(o, 'Variable'),
    Type: opt(o, 'Type', type),
    DefaultValue: opt(o, 'DefaultValue', value),
    Directives: list(o, 'Directives', directive),
    Used: b(o, 'Used'),
  };
}

/**
 * A selection. gqlparser's decoder tries a field first and a field accepts any object, so
 * every selection read back from JSON is a field: a fragment spread becomes a field named
 * after the fragment and an inline fragment a field with no name, which validation then
 * rejects. OPA behaves so, and so do we.
 */
function selection(o: Obj): Selection {
  return {
    Alias: s(o, 'Alias'),
    Name: s(o, 'Name'),
    Arguments: list(o, 'Arguments', argument),
    Directives: list(o, 'Directives', directive),
    SelectionSet: list(o, 'SelectionSet', selection),
  };
}

function operation(o: Obj): OperationDefinition {
  return {
    Operation: s(o, 'Operation'),
    Name: s(o, 'Name'),
    VariableDefinitions: list(o, 'VariableDefinitions', variableDefinition),
    Directives: list(o, 'Directives', directive),
    SelectionSet: list(o, 'SelectionSet', selection),
  };
}

function fragment(o: Obj): FragmentDefinition {
  return {
    Name: s(o, 'Name'),
    VariableDefinition: list(o, 'VariableDefinition', variableDefinition),
    TypeCondition: s(o, 'TypeCondition'),
    Directives: list(o, 'Directives', directive),
    SelectionSet: list(o, 'SelectionSet', selection),
  };
}

export function queryDocumentFromJson(v: unknown): QueryDocument {
  const o = asObj(v);
  return { Operations: list(o, 'Operations', operation), Fragments: list(o, 'Fragments', fragment) };
}

function argumentDefinition(o: Obj): ArgumentDefinition {
  return {
    Description: s(o, 'Description'),
    Name: s(o, 'Name'),
    DefaultValue: opt(o, 'DefaultValue', value),
    Type: opt(o, 'Type', type),
    Directives: list(o, 'Directives', directive),
  };
}

function fieldDefinition(o: Obj): FieldDefinition {
  return { ...argumentDefinition(o), Arguments: list(o, 'Arguments', argumentDefinition) };
}

function enumValue(o: Obj): EnumValueDefinition {
  return {
    Description: s(o, 'Description'),
    Name: s(o, 'Name'),
    Directives: list(o, 'Directives', directive),
  };
}

function definition(o: Obj): Definition {
  return {
    Kind: s(o, 'Kind'),
    Description: s(o, 'Description'),
    Name: s(o, 'Name'),
    Directives: list(o, 'Directives', directive),
    Interfaces: strs(o, 'Interfaces'),
    Types: strs(o, 'Types'),
    Fields: list(o, 'Fields', fieldDefinition),
    EnumValues: list(o, 'EnumValues', enumValue),
    BuiltIn: b(o, 'BuiltIn'),
  };
}

function operationType(o: Obj): OperationTypeDefinition {
  return { Operation: s(o, 'Operation'), Type: s(o, 'Type') };
}

function schemaDefinition(o: Obj): SchemaDefinition {
  return {
    Description: s(o, 'Description'),
    Directives: list(o, 'Directives', directive),
    OperationTypes: list(o, 'OperationTypes', operationType),
  };
}

function directiveDefinition(o: Obj): DirectiveDefinition {
  return {
    Description: s(o, 'Description'),
    Name: s(o, 'Name'),
    Arguments: list(o, 'Arguments', argumentDefinition),
    Locations: strs(o, 'Locations'),
    IsRepeatable: b(o, 'IsRepeatable'),
  };
}

export function schemaDocumentFromJson(v: unknown): SchemaDocument {
  const o = asObj(v);
  return {
    Schema: list(o, 'Schema', schemaDefinition),
    SchemaExtension: list(o, 'SchemaExtension', schemaDefinition),
    Directives: list(o, 'Directives', directiveDefinition),
    Definitions: list(o, 'Definitions', definition),
    Extensions: list(o, 'Extensions', definition),
  };
}
