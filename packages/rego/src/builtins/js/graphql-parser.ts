/**
 * Recursive-descent parsers for GraphQL executable documents (spec §2) and type system
 * documents (spec §3). They follow gqlparser's grammar choices and stop at the first error
 * with its wording, since OPA passes that wording through to policies.
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
  Position,
  QueryDocument,
  SchemaDefinition,
  SchemaDocument,
  Selection,
  VariableDefinition,
} from './graphql-ast.js';
import { ValueKind } from './graphql-ast.js';
import { goQuote, Lexer, type Token, TokenKind, tokenText } from './graphql-lexer.js';

/** A syntax or validation error, at a place in the source when it came from source text. */
export class GraphqlError extends Error {
  readonly at: Position | undefined;

  constructor(message: string, at: Position | undefined) {
    super(message);
    this.name = 'GraphqlError';
    this.at = at === undefined ? undefined : { line: at.line, column: at.column };
  }

  /** The error as gqlparser's Error() prints it, which is the text OPA takes apart. */
  goText(): string {
    return this.at === undefined
      ? `input: ${this.message}`
      : `input:${this.at.line}:${this.at.column}: ${this.message}`;
  }
}

const DIRECTIVE_LOCATIONS = new Set([
  'QUERY',
  'MUTATION',
  'SUBSCRIPTION',
  'FIELD',
  'FRAGMENT_DEFINITION',
  'FRAGMENT_SPREAD',
  'INLINE_FRAGMENT',
  'VARIABLE_DEFINITION',
  'SCHEMA',
  'SCALAR',
  'OBJECT',
  'FIELD_DEFINITION',
  'ARGUMENT_DEFINITION',
  'INTERFACE',
  'UNION',
  'ENUM',
  'ENUM_VALUE',
  'INPUT_OBJECT',
  'INPUT_FIELD_DEFINITION',
]);

class Parser {
  private readonly lexer: Lexer;
  private peeked: Token | undefined;
  private prev: Token | undefined;

  constructor(input: string) {
    this.lexer = new Lexer(input);
  }

  peek(): Token {
    this.peeked ??= this.lexer.next();
    return this.peeked;
  }

  next(): Token {
    const tok = this.peek();
    this.peeked = undefined;
    this.prev = tok;
    return tok;
  }

  pos(): Position {
    const t = this.peek();
    return { line: t.line, column: t.column };
  }

  fail(tok: Token, message: string): never {
    throw new GraphqlError(message, tok);
  }

  unexpected(tok: Token = this.peek()): never {
    this.fail(tok, `Unexpected ${tokenText(tok)}`);
  }

  expect(kind: TokenKind): Token {
    const tok = this.peek();
    if (tok.kind !== kind) this.fail(tok, `Expected ${kind}, found ${tok.kind}`);
    return this.next();
  }

  expectKeyword(value: string): Token {
    const tok = this.peek();
    if (tok.kind !== TokenKind.Name || tok.value !== value) {
      this.fail(tok, `Expected ${goQuote(value)}, found ${tokenText(tok)}`);
    }
    return this.next();
  }

  skip(kind: TokenKind): boolean {
    if (this.peek().kind !== kind) return false;
    this.next();
    return true;
  }

  /** start, zero or more items, end; nothing at all when `start` is absent. */
  many(start: TokenKind, end: TokenKind, item: () => void): void {
    if (!this.skip(start)) return;
    while (this.peek().kind !== end) item();
    this.next();
  }

  /** start, one or more items, end; nothing at all when `start` is absent. */
  some(start: TokenKind, end: TokenKind, item: () => void): void {
    if (!this.skip(start)) return;
    let called = false;
    while (this.peek().kind !== end) {
      called = true;
      item();
    }
    if (!called) this.fail(this.peek(), `expected at least one definition, found ${this.peek().kind}`);
    this.next();
  }

  name(): string {
    return this.expect(TokenKind.Name).value;
  }

  // Executable documents (spec §2.2–2.12).

  queryDocument(): QueryDocument {
    const doc: QueryDocument = { Operations: [], Fragments: [] };
    while (this.peek().kind !== TokenKind.EOF) {
      const tok = this.peek();
      if (tok.kind === TokenKind.BraceL) doc.Operations.push(this.operationDefinition());
      else if (tok.kind !== TokenKind.Name) this.unexpected();
      else if (tok.value === 'query' || tok.value === 'mutation' || tok.value === 'subscription') {
        doc.Operations.push(this.operationDefinition());
      } else if (tok.value === 'fragment') doc.Fragments.push(this.fragmentDefinition());
      else this.unexpected();
    }
    return doc;
  }

  operationDefinition(): OperationDefinition {
    const Position = this.pos();
    if (this.peek().kind === TokenKind.BraceL) {
      return {
        Operation: 'query',
        Name: '',
        VariableDefinitions: [],
        Directives: [],
        SelectionSet: this.requiredSelectionSet(),
        Position,
      };
    }
    const Operation = this.operationType();
    const Name = this.peek().kind === TokenKind.Name ? this.next().value : '';
    const VariableDefinitions = this.variableDefinitions();
    const Directives = this.directives(false);
    return {
      Operation,
      Name,
      VariableDefinitions,
      Directives,
      SelectionSet: this.requiredSelectionSet(),
      Position,
    };
  }

  operationType(): string {
    const tok = this.next();
    if (tok.value === 'query' || tok.value === 'mutation' || tok.value === 'subscription') return tok.value;
    this.unexpected(tok);
  }

  variableDefinitions(): VariableDefinition[] {
    const defs: VariableDefinition[] = [];
    this.many(TokenKind.ParenL, TokenKind.ParenR, () => {
      const Position = this.pos();
      const Variable = this.variable();
      this.expect(TokenKind.Colon);
      const Type = this.typeReference();
      const DefaultValue = this.skip(TokenKind.Equals) ? this.value(true) : null;
      defs.push({ Variable, Type, DefaultValue, Directives: this.directives(true), Used: false, Position });
    });
    return defs;
  }

  variable(): string {
    this.expect(TokenKind.Dollar);
    return this.name();
  }

  requiredSelectionSet(): Selection[] {
    const tok = this.peek();
    if (tok.kind !== TokenKind.BraceL) this.fail(tok, `Expected ${TokenKind.BraceL}, found ${tok.kind}`);
    const selections: Selection[] = [];
    this.some(TokenKind.BraceL, TokenKind.BraceR, () => selections.push(this.selection()));
    return selections;
  }

  selection(): Selection {
    if (this.peek().kind === TokenKind.Spread) return this.fragment();
    const Position = this.pos();
    const Alias = this.name();
    const Name = this.skip(TokenKind.Colon) ? this.name() : Alias;
    const Arguments = this.arguments(false);
    const Directives = this.directives(false);
    const SelectionSet = this.peek().kind === TokenKind.BraceL ? this.requiredSelectionSet() : [];
    return { Alias, Name, Arguments, Directives, SelectionSet, Position };
  }

  arguments(isConst: boolean): Argument[] {
    const args: Argument[] = [];
    this.many(TokenKind.ParenL, TokenKind.ParenR, () => {
      const Position = this.pos();
      const Name = this.name();
      this.expect(TokenKind.Colon);
      args.push({ Name, Value: this.value(isConst), Position });
    });
    return args;
  }

  fragment(): Selection {
    this.expect(TokenKind.Spread);
    const tok = this.peek();
    if (tok.kind === TokenKind.Name && tok.value !== 'on') {
      const Position = this.pos();
      return { Name: this.fragmentName(), Directives: this.directives(false), Position };
    }
    const Position = this.pos();
    let TypeCondition = '';
    if (tok.value === 'on') {
      this.next();
      TypeCondition = this.name();
    }
    const Directives = this.directives(false);
    return { TypeCondition, Directives, SelectionSet: this.requiredSelectionSet(), Position };
  }

  fragmentDefinition(): FragmentDefinition {
    const Position = this.pos();
    this.expectKeyword('fragment');
    const Name = this.fragmentName();
    const VariableDefinition = this.variableDefinitions();
    this.expectKeyword('on');
    const TypeCondition = this.name();
    const Directives = this.directives(false);
    return {
      Name,
      VariableDefinition,
      TypeCondition,
      Directives,
      SelectionSet: this.requiredSelectionSet(),
      Position,
    };
  }

  fragmentName(): string {
    if (this.peek().value === 'on') this.unexpected();
    return this.name();
  }

  value(isConst: boolean): GqlValue {
    const tok = this.peek();
    const Position = this.pos();
    let Kind: ValueKind;
    switch (tok.kind) {
      case TokenKind.BracketL: {
        const Children: ChildValue[] = [];
        this.many(TokenKind.BracketL, TokenKind.BracketR, () =>
          Children.push({ Name: '', Value: this.value(isConst) }),
        );
        return { Raw: '', Children, Kind: ValueKind.ListValue, Position };
      }
      case TokenKind.BraceL: {
        const Children: ChildValue[] = [];
        this.many(TokenKind.BraceL, TokenKind.BraceR, () => {
          const at = this.pos();
          const Name = this.name();
          this.expect(TokenKind.Colon);
          Children.push({ Name, Value: this.value(isConst), Position: at });
        });
        return { Raw: '', Children, Kind: ValueKind.ObjectValue, Position };
      }
      case TokenKind.Dollar:
        if (isConst) this.unexpected();
        return { Raw: this.variable(), Children: [], Kind: ValueKind.Variable, Position };
      case TokenKind.Int:
        Kind = ValueKind.IntValue;
        break;
      case TokenKind.Float:
        Kind = ValueKind.FloatValue;
        break;
      case TokenKind.String:
        Kind = ValueKind.StringValue;
        break;
      case TokenKind.BlockString:
        Kind = ValueKind.BlockValue;
        break;
      case TokenKind.Name:
        if (tok.value === 'true' || tok.value === 'false') Kind = ValueKind.BooleanValue;
        else if (tok.value === 'null') Kind = ValueKind.NullValue;
        else Kind = ValueKind.EnumValue;
        break;
      default:
        this.unexpected();
    }
    this.next();
    return { Raw: tok.value, Children: [], Kind, Position };
  }

  directives(isConst: boolean): Directive[] {
    const out: Directive[] = [];
    while (this.peek().kind === TokenKind.At) {
      this.next();
      const Position = this.pos();
      const Name = this.name();
      out.push({ Name, Arguments: this.arguments(isConst), Location: '', Position });
    }
    return out;
  }

  typeReference(): GqlType {
    let type: GqlType;
    if (this.skip(TokenKind.BracketL)) {
      const Position = this.pos();
      const Elem = this.typeReference();
      this.expect(TokenKind.BracketR);
      type = { NamedType: '', Elem, NonNull: false, Position };
    } else {
      const Position = this.pos();
      type = { NamedType: this.name(), Elem: null, NonNull: false, Position };
    }
    if (this.skip(TokenKind.Bang)) type.NonNull = true;
    return type;
  }

  // Type system documents (spec §3).

  schemaDocument(): SchemaDocument {
    const doc: SchemaDocument = {
      Schema: [],
      SchemaExtension: [],
      Directives: [],
      Definitions: [],
      Extensions: [],
    };
    while (this.peek().kind !== TokenKind.EOF) {
      const description = this.description();
      const tok = this.peek();
      if (tok.kind !== TokenKind.Name) this.unexpected();
      switch (tok.value) {
        case 'scalar':
        case 'type':
        case 'interface':
        case 'union':
        case 'enum':
        case 'input':
          doc.Definitions.push(this.typeDefinition(description, false));
          break;
        case 'schema':
          doc.Schema.push(this.schemaDefinition(description, false));
          break;
        case 'directive':
          doc.Directives.push(this.directiveDefinition(description));
          break;
        case 'extend':
          if (description !== undefined) this.unexpected(this.prev);
          this.next();
          if (this.peek().value === 'schema')
            doc.SchemaExtension.push(this.schemaDefinition(undefined, true));
          else doc.Extensions.push(this.typeDefinition(undefined, true));
          break;
        default:
          this.unexpected();
      }
    }
    return doc;
  }

  /** A description string, or undefined when there is none (gqlparser checks for "" instead). */
  description(): string | undefined {
    const kind = this.peek().kind;
    if (kind !== TokenKind.String && kind !== TokenKind.BlockString) return undefined;
    const value = this.next().value;
    return value === '' ? undefined : value;
  }

  schemaDefinition(description: string | undefined, extension: boolean): SchemaDefinition {
    this.expectKeyword('schema');
    const Position = this.pos();
    const Directives = this.directives(true);
    const OperationTypes: OperationTypeDefinition[] = [];
    this.some(TokenKind.BraceL, TokenKind.BraceR, () => {
      const at = this.pos();
      const Operation = this.operationType();
      this.expect(TokenKind.Colon);
      OperationTypes.push({ Operation, Type: this.name(), Position: at });
    });
    if (extension && Directives.length === 0 && OperationTypes.length === 0) this.unexpected();
    return { Description: description ?? '', Directives, OperationTypes, Position };
  }

  typeDefinition(description: string | undefined, extension: boolean): Definition {
    const keyword = this.peek();
    const kinds: Record<string, string> = {
      scalar: 'SCALAR',
      type: 'OBJECT',
      interface: 'INTERFACE',
      union: 'UNION',
      enum: 'ENUM',
      input: 'INPUT_OBJECT',
    };
    const Kind = keyword.kind === TokenKind.Name ? kinds[keyword.value] : undefined;
    if (Kind === undefined) this.unexpected();
    this.next();
    const Position = this.pos();
    const def: Definition = {
      Kind,
      Description: description ?? '',
      Name: this.name(),
      Directives: [],
      Interfaces: [],
      Types: [],
      Fields: [],
      EnumValues: [],
      BuiltIn: false,
      Position,
    };
    if (Kind === 'OBJECT' || Kind === 'INTERFACE') def.Interfaces = this.implementsInterfaces();
    def.Directives = this.directives(true);
    switch (Kind) {
      case 'OBJECT':
      case 'INTERFACE':
        def.Fields = this.fieldsDefinition();
        break;
      case 'UNION':
        def.Types = this.unionMembers();
        break;
      case 'ENUM':
        this.some(TokenKind.BraceL, TokenKind.BraceR, () => def.EnumValues.push(this.enumValueDefinition()));
        break;
      case 'INPUT_OBJECT':
        this.some(TokenKind.BraceL, TokenKind.BraceR, () => def.Fields.push(this.inputValueDefinition()));
        break;
    }
    if (
      extension &&
      def.Directives.length === 0 &&
      def.Interfaces.length === 0 &&
      def.Fields.length === 0 &&
      def.Types.length === 0 &&
      def.EnumValues.length === 0
    ) {
      this.unexpected();
    }
    return def;
  }

  implementsInterfaces(): string[] {
    const types: string[] = [];
    if (this.peek().value !== 'implements') return types;
    this.next();
    this.skip(TokenKind.Amp);
    types.push(this.name());
    while (this.skip(TokenKind.Amp)) types.push(this.name());
    return types;
  }

  unionMembers(): string[] {
    const types: string[] = [];
    if (!this.skip(TokenKind.Equals)) return types;
    this.skip(TokenKind.Pipe);
    types.push(this.name());
    while (this.skip(TokenKind.Pipe)) types.push(this.name());
    return types;
  }

  fieldsDefinition(): FieldDefinition[] {
    const fields: FieldDefinition[] = [];
    this.some(TokenKind.BraceL, TokenKind.BraceR, () => {
      const Description = this.description() ?? '';
      const Position = this.pos();
      const Name = this.name();
      const Arguments = this.argumentDefinitions();
      this.expect(TokenKind.Colon);
      const Type = this.typeReference();
      fields.push({
        Description,
        Name,
        Arguments,
        DefaultValue: null,
        Type,
        Directives: this.directives(true),
        Position,
      });
    });
    return fields;
  }

  argumentDefinitions(): ArgumentDefinition[] {
    const args: ArgumentDefinition[] = [];
    this.some(TokenKind.ParenL, TokenKind.ParenR, () => {
      const f = this.inputValueDefinition();
      args.push({
        Description: f.Description,
        Name: f.Name,
        DefaultValue: f.DefaultValue,
        Type: f.Type,
        Directives: f.Directives,
        ...(f.Position === undefined ? {} : { Position: f.Position }),
      });
    });
    return args;
  }

  inputValueDefinition(): FieldDefinition {
    const Description = this.description() ?? '';
    const Position = this.pos();
    const Name = this.name();
    this.expect(TokenKind.Colon);
    const Type = this.typeReference();
    const DefaultValue = this.skip(TokenKind.Equals) ? this.value(true) : null;
    return {
      Description,
      Name,
      Arguments: [],
      DefaultValue,
      Type,
      Directives: this.directives(true),
      Position,
    };
  }

  enumValueDefinition(): EnumValueDefinition {
    const Description = this.description() ?? '';
    const Position = this.pos();
    const Name = this.name();
    return { Description, Name, Directives: this.directives(true), Position };
  }

  directiveDefinition(description: string | undefined): DirectiveDefinition {
    this.expectKeyword('directive');
    this.expect(TokenKind.At);
    const Position = this.pos();
    const Name = this.name();
    const Arguments = this.argumentDefinitions();
    let IsRepeatable = false;
    if (this.peek().kind === TokenKind.Name && this.peek().value === 'repeatable') {
      IsRepeatable = true;
      this.next();
    }
    this.expectKeyword('on');
    this.skip(TokenKind.Pipe);
    const Locations = [this.directiveLocation()];
    while (this.skip(TokenKind.Pipe)) Locations.push(this.directiveLocation());
    return { Description: description ?? '', Name, Arguments, Locations, IsRepeatable, Position };
  }

  directiveLocation(): string {
    const tok = this.expect(TokenKind.Name);
    if (!DIRECTIVE_LOCATIONS.has(tok.value)) this.unexpected(tok);
    return tok.value;
  }
}

/** Parses an executable document (operations and fragments); throws GraphqlError. */
export function parseQuery(input: string): QueryDocument {
  return new Parser(input).queryDocument();
}

/** Parses a type system document (types, directives, schema definitions); throws GraphqlError. */
export function parseSchema(input: string): SchemaDocument {
  return new Parser(input).schemaDocument();
}
