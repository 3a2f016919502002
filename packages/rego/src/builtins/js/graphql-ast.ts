/**
 * The GraphQL document trees, shaped like vektah/gqlparser's Go structs (field for field, in
 * their Go names), because OPA hands policies those structs marshalled to JSON. Positions are
 * kept beside the tree for error messages and never marshalled.
 */

/** gqlparser's ast.ValueKind numbering, which is what policies see in `Kind`. */
export const ValueKind = {
  Variable: 0,
  IntValue: 1,
  FloatValue: 2,
  StringValue: 3,
  BlockValue: 4,
  BooleanValue: 5,
  NullValue: 6,
  EnumValue: 7,
  ListValue: 8,
  ObjectValue: 9,
} as const;

export type ValueKind = (typeof ValueKind)[keyof typeof ValueKind];

export interface Position {
  readonly line: number;
  readonly column: number;
}

export interface GqlType {
  NamedType: string;
  Elem: GqlType | null;
  NonNull: boolean;
  Position?: Position;
}

export interface ChildValue {
  Name: string;
  Value: GqlValue | null;
  Position?: Position;
}

export interface GqlValue {
  Raw: string;
  Children: ChildValue[];
  Kind: ValueKind;
  Position?: Position;
}

export interface Argument {
  Name: string;
  Value: GqlValue | null;
  Position?: Position;
}

export interface Directive {
  Name: string;
  Arguments: Argument[];
  /** Filled in by validation in gqlparser; always empty in what OPA returns. */
  Location: string;
  Position?: Position;
}

export interface VariableDefinition {
  Variable: string;
  Type: GqlType | null;
  DefaultValue: GqlValue | null;
  Directives: Directive[];
  Used: boolean;
  Position?: Position;
}

export interface Field {
  Alias: string;
  Name: string;
  Arguments: Argument[];
  Directives: Directive[];
  SelectionSet: Selection[];
  Position?: Position;
}

export interface FragmentSpread {
  Name: string;
  Directives: Directive[];
  Position?: Position;
}

export interface InlineFragment {
  TypeCondition: string;
  Directives: Directive[];
  SelectionSet: Selection[];
  Position?: Position;
}

export type Selection = Field | FragmentSpread | InlineFragment;

export const isField = (s: Selection): s is Field => 'Alias' in s;
export const isInlineFragment = (s: Selection): s is InlineFragment => 'TypeCondition' in s;

export interface OperationDefinition {
  Operation: string;
  Name: string;
  VariableDefinitions: VariableDefinition[];
  Directives: Directive[];
  SelectionSet: Selection[];
  Position?: Position;
}

export interface FragmentDefinition {
  Name: string;
  /** Singular in gqlparser (experimental fragment variables). */
  VariableDefinition: VariableDefinition[];
  TypeCondition: string;
  Directives: Directive[];
  SelectionSet: Selection[];
  Position?: Position;
}

export interface QueryDocument {
  Operations: OperationDefinition[];
  Fragments: FragmentDefinition[];
}

export interface ArgumentDefinition {
  Description: string;
  Name: string;
  DefaultValue: GqlValue | null;
  Type: GqlType | null;
  Directives: Directive[];
  Position?: Position;
}

export interface FieldDefinition {
  Description: string;
  Name: string;
  Arguments: ArgumentDefinition[];
  DefaultValue: GqlValue | null;
  Type: GqlType | null;
  Directives: Directive[];
  Position?: Position;
}

export interface EnumValueDefinition {
  Description: string;
  Name: string;
  Directives: Directive[];
  Position?: Position;
}

export interface Definition {
  Kind: string;
  Description: string;
  Name: string;
  Directives: Directive[];
  Interfaces: string[];
  Types: string[];
  Fields: FieldDefinition[];
  EnumValues: EnumValueDefinition[];
  BuiltIn: boolean;
  Position?: Position;
}

export interface OperationTypeDefinition {
  Operation: string;
  Type: string;
  Position?: Position;
}

export interface SchemaDefinition {
  Description: string;
  Directives: Directive[];
  OperationTypes: OperationTypeDefinition[];
  Position?: Position;
}

export interface DirectiveDefinition {
  Description: string;
  Name: string;
  Arguments: ArgumentDefinition[];
  Locations: string[];
  IsRepeatable: boolean;
  Position?: Position;
}

export interface SchemaDocument {
  Schema: SchemaDefinition[];
  SchemaExtension: SchemaDefinition[];
  Directives: DirectiveDefinition[];
  Definitions: Definition[];
  Extensions: Definition[];
}

/**
 * The tree as OPA returns it: OPA marshals gqlparser's structs and then drops nulls, empty
 * lists and empty objects (and positions), but keeps empty strings and `false`.
 */
export function toOpaJson(node: unknown): unknown {
  if (Array.isArray(node)) {
    const out = [];
    for (const item of node) {
      const v = toOpaJson(item);
      if (!isEmpty(v)) out.push(v);
    }
    return out;
  }
  if (node !== null && typeof node === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, item] of Object.entries(node)) {
      if (k === 'Position') continue;
      const v = toOpaJson(item);
      if (!isEmpty(v)) out[k] = v;
    }
    return out;
  }
  return node;
}

function isEmpty(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}
