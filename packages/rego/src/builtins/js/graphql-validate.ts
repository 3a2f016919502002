/**
 * Validation of an executable document against a schema (spec §5), with gqlparser's rule set
 * and messages. Like gqlparser, one depth-first walk visits every node in document order and
 * runs each rule's check as it leaves the node, so the first error is the one gqlparser finds
 * first. Rules are named after the spec sections they implement.
 */
import type {
  Argument,
  Definition,
  Directive,
  DirectiveDefinition,
  Field,
  FieldDefinition,
  FragmentDefinition,
  FragmentSpread,
  GqlType,
  GqlValue,
  InlineFragment,
  OperationDefinition,
  Position,
  QueryDocument,
  Selection,
  VariableDefinition,
} from './graphql-ast.js';
import { isField, isInlineFragment, ValueKind } from './graphql-ast.js';
import { goQuote } from './graphql-lexer.js';
import { GraphqlError } from './graphql-parser.js';
import { isCompatible, type Schema, typeName, typeString } from './graphql-schema.js';
import { didYouMean, quotedOrList } from './graphql-suggest.js';

/** What the walk learns about a value: the type expected where it stands. */
interface ValueContext {
  expected: GqlType | undefined;
  definition: Definition | undefined;
}

const isComposite = (d: Definition) => d.Kind === 'OBJECT' || d.Kind === 'INTERFACE' || d.Kind === 'UNION';
const isLeaf = (d: Definition) => d.Kind === 'SCALAR' || d.Kind === 'ENUM';
const isInput = (d: Definition) => d.Kind === 'SCALAR' || d.Kind === 'ENUM' || d.Kind === 'INPUT_OBJECT';

const INT64_MAX = 2n ** 63n - 1n;

const TYPENAME_FIELD: FieldDefinition = {
  Description: '',
  Name: '__typename',
  Arguments: [],
  DefaultValue: null,
  Type: { NamedType: 'String', Elem: null, NonNull: true },
  Directives: [],
};

/** gqlparser's Value.String(). */
function valueString(v: GqlValue | null): string {
  if (v === null) return '<nil>';
  switch (v.Kind) {
    case ValueKind.Variable:
      return `$${v.Raw}`;
    case ValueKind.StringValue:
    case ValueKind.BlockValue:
      return goQuote(v.Raw);
    case ValueKind.ListValue:
      return `[${v.Children.map((c) => valueString(c.Value)).join(',')}]`;
    case ValueKind.ObjectValue:
      return `{${v.Children.map((c) => `${c.Name}:${valueString(c.Value)}`).join(',')}}`;
    default:
      return v.Raw;
  }
}

class Validator {
  readonly errors: GraphqlError[] = [];
  private operation: OperationDefinition | undefined;
  private walkedFragments = new Set<string>();
  private readonly usedVariables = new Set<VariableDefinition>();
  private readonly usedFragments = new Set<string>();
  private inFragmentDefinition = false;
  private readonly seenOperations = new Set<string>();

  constructor(
    private readonly schema: Schema,
    private readonly doc: QueryDocument,
  ) {}

  /** Pairs of same-named fields compared so far (see MAX_FIELD_COMPARISONS). */
  private comparisons = 0;

  /**
   * Counts one comparison of two same-named fields. Checking that fields can be merged takes
   * time quadratic in the fields that share a name, and the query is often the caller's: past
   * the budget the query is refused rather than the decision stalled.
   */
  private compared(): void {
    if (++this.comparisons > MAX_FIELD_COMPARISONS)
      throw new QueryTooComplexError(
        `query too complex to validate: more than ${MAX_FIELD_COMPARISONS} comparisons of fields that share a name`,
      );
  }

  private error(message: string, at: Position | undefined): void {
    this.errors.push(new GraphqlError(message, at));
  }

  private fragment(name: string): FragmentDefinition | undefined {
    return this.doc.Fragments.find((f) => f.Name === name);
  }

  private possibleTypes(d: Definition): Definition[] {
    return d.Kind === 'OBJECT' ? [d] : (this.schema.possibleTypes.get(d.Name) ?? []);
  }

  run(): void {
    for (const op of this.doc.Operations) {
      this.walkedFragments = new Set();
      this.walkOperation(op);
    }
    const seenFragments = new Set<string>();
    for (const frag of this.doc.Fragments) {
      this.walkedFragments = new Set();
      this.walkFragmentDefinition(frag, seenFragments);
    }
  }

  private walkOperation(op: OperationDefinition): void {
    this.operation = op;
    for (const v of op.VariableDefinitions) {
      // KnownTypeNames (§5.5.1.2)
      if (v.Type !== null && !this.schema.types.has(typeName(v.Type))) {
        this.error(`Unknown type "${typeName(v.Type)}".`, v.Position);
      }
    }
    const root =
      op.Operation === 'mutation'
        ? this.schema.mutation
        : op.Operation === 'subscription'
          ? this.schema.subscription
          : this.schema.query;
    const location =
      op.Operation === 'mutation' ? 'MUTATION' : op.Operation === 'subscription' ? 'SUBSCRIPTION' : 'QUERY';
    for (const v of op.VariableDefinitions) {
      const def = v.Type === null ? undefined : this.schema.types.get(typeName(v.Type));
      if (v.DefaultValue !== null)
        this.walkValue(v.DefaultValue, { expected: v.Type ?? undefined, definition: def });
      this.walkDirectives(v.Directives, 'VARIABLE_DEFINITION');
    }
    this.walkDirectives(op.Directives, location);
    this.walkSelectionSet(root, op.SelectionSet);
    this.leaveOperation(op, root);
    this.operation = undefined;
  }

  private leaveOperation(op: OperationDefinition, root: Definition | undefined): void {
    // KnownRootType: gqlparser checks the root exists here, as nothing else would.
    if (root === undefined)
      this.error(`Schema does not support operation type "${op.Operation}"`, op.Position);
    // LoneAnonymousOperation (§5.2.2.1)
    if (op.Name === '' && this.doc.Operations.length > 1) {
      this.error('This anonymous operation must be the only defined operation.', op.Position);
    }
    // NoUnusedVariables (§5.8.4)
    for (const v of op.VariableDefinitions) {
      if (this.usedVariables.has(v)) continue;
      this.error(
        op.Name === ''
          ? `Variable "$${v.Variable}" is never used.`
          : `Variable "$${v.Variable}" is never used in operation "${op.Name}".`,
        v.Position,
      );
    }
    // SingleFieldSubscriptions (§5.2.3.1)
    if (this.schema.subscription !== undefined && op.Operation === 'subscription') {
      const fields = this.topFields(op.SelectionSet, new Set(), new Map());
      const name = op.Name === '' ? 'Anonymous Subscription' : `Subscription ${goQuote(op.Name)}`;
      if (fields.length > 1) this.error(`${name} must select only one top level field.`, fields[1]!.Position);
      for (const f of fields) {
        if (f.Name.startsWith('__'))
          this.error(`${name} must not select an introspection top level field.`, f.Position);
      }
    }
    // UniqueOperationNames (§5.2.1.1)
    if (this.seenOperations.has(op.Name))
      this.error(`There can be only one operation named "${op.Name}".`, op.Position);
    this.seenOperations.add(op.Name);
    // UniqueVariableNames (§5.8.1)
    const seen = new Map<string, number>();
    for (const v of op.VariableDefinitions) {
      const n = seen.get(v.Variable) ?? 0;
      if (n === 1) this.error(`There can be only one variable named "$${v.Variable}".`, v.Position);
      seen.set(v.Variable, n + 1);
    }
    // VariablesAreInputTypes (§5.8.2)
    for (const v of op.VariableDefinitions) {
      const def = v.Type === null ? undefined : this.schema.types.get(typeName(v.Type));
      if (def !== undefined && !isInput(def)) {
        this.error(
          `Variable "$${v.Variable}" cannot be non-input type "${typeString(v.Type!)}".`,
          v.Position,
        );
      }
    }
  }

  private topFields(sels: readonly Selection[], visited: Set<string>, seen: Map<string, Field>): Field[] {
    for (const s of sels) {
      if (isField(s)) {
        const key = s.Alias === '' ? s.Name : s.Alias;
        if (!seen.has(key)) seen.set(key, s);
      } else if (isInlineFragment(s)) this.topFields(s.SelectionSet, visited, seen);
      else {
        const frag = this.fragment(s.Name);
        if (frag !== undefined && !visited.has(s.Name)) {
          visited.add(s.Name);
          this.topFields(frag.SelectionSet, visited, seen);
        }
      }
    }
    return [...seen.values()];
  }

  private walkFragmentDefinition(frag: FragmentDefinition, seen: Set<string>): void {
    const def = this.schema.types.get(frag.TypeCondition);
    this.walkDirectives(frag.Directives, 'FRAGMENT_DEFINITION');
    this.walkSelectionSet(def, frag.SelectionSet);
    // FragmentsOnCompositeTypes (§5.5.1.3)
    if (def !== undefined && frag.TypeCondition !== '' && !isComposite(def)) {
      this.error(
        `Fragment "${frag.Name}" cannot condition on non composite type "${frag.TypeCondition}".`,
        frag.Position,
      );
    }
    // KnownTypeNames (§5.5.1.2)
    // Only fragment definitions get a hint here, as in gqlparser.
    if (def === undefined) {
      const hint = didYouMean('Did you mean', frag.TypeCondition, [...this.schema.types.keys()]);
      this.error(`Unknown type "${frag.TypeCondition}".${hint}`, frag.Position);
    }
    // NoFragmentCycles (§5.5.2.2)
    this.checkCycles(frag);
    // NoUnusedFragments (§5.5.1.4): spreads count only when reached from an operation.
    this.inFragmentDefinition = true;
    if (!this.usedFragments.has(frag.Name))
      this.error(`Fragment "${frag.Name}" is never used.`, frag.Position);
    // UniqueFragmentNames (§5.5.1.1)
    if (seen.has(frag.Name))
      this.error(`There can be only one fragment named "${frag.Name}".`, frag.Position);
    seen.add(frag.Name);
  }

  private readonly cycleVisited = new Set<string>();

  private checkCycles(start: FragmentDefinition): void {
    const path: FragmentSpread[] = [];
    const indexByName = new Map<string, number>();
    const visit = (frag: FragmentDefinition) => {
      if (this.cycleVisited.has(frag.Name)) return;
      this.cycleVisited.add(frag.Name);
      const spreads = spreadsIn(frag.SelectionSet);
      if (spreads.length === 0) return;
      indexByName.set(frag.Name, path.length);
      for (const spread of spreads) {
        const cycleIndex = indexByName.get(spread.Name);
        path.push(spread);
        if (cycleIndex === undefined) {
          const next = this.fragment(spread.Name);
          if (next !== undefined) visit(next);
        } else {
          const names = path.slice(cycleIndex, path.length - 1).map((s) => `"${s.Name}"`);
          const via = names.length === 0 ? '' : ` via ${names.join(', ')}`;
          this.error(`Cannot spread fragment "${spread.Name}" within itself${via}.`, spread.Position);
        }
        path.pop();
      }
      indexByName.delete(frag.Name);
    };
    visit(start);
  }

  private walkSelectionSet(parent: Definition | undefined, sels: readonly Selection[]): void {
    for (const s of sels) {
      if (isField(s)) this.walkField(parent, s);
      else if (isInlineFragment(s)) this.walkInlineFragment(parent, s);
      else this.walkFragmentSpread(parent, s);
    }
    this.checkOverlaps(parent, sels);
  }

  private walkField(parent: Definition | undefined, field: Field): void {
    const def =
      field.Name === '__typename' ? TYPENAME_FIELD : parent?.Fields.find((f) => f.Name === field.Name);
    const next = def?.Type == null ? undefined : this.schema.types.get(typeName(def.Type));
    for (const arg of field.Arguments) {
      const argDef = def?.Arguments.find((a) => a.Name === arg.Name);
      const type = argDef?.Type ?? undefined;
      this.walkArgumentValue(arg, type);
    }
    this.walkDirectives(field.Directives, 'FIELD');
    this.walkSelectionSet(next, field.SelectionSet);

    // FieldsOnCorrectType (§5.3.1)
    if (parent !== undefined && def === undefined) {
      this.error(
        `Cannot query field "${field.Name}" on type "${parent.Name}".${this.fieldHint(parent, field.Name)}`,
        field.Position,
      );
    }
    if (def === undefined) return;
    // KnownArgumentNames (§5.4.1)
    if (parent !== undefined) {
      for (const arg of field.Arguments) {
        if (!def.Arguments.some((a) => a.Name === arg.Name)) {
          this.error(
            `Unknown argument "${arg.Name}" on field "${parent.Name}.${field.Name}".${didYouMean(
              'Did you mean',
              arg.Name,
              def.Arguments.map((a) => a.Name),
            )}`,
            field.Position,
          );
        }
      }
    }
    // ProvidedRequiredArguments (§5.4.2.1)
    for (const a of def.Arguments) {
      if (a.Type?.NonNull !== true || a.DefaultValue !== null) continue;
      if (field.Arguments.some((x) => x.Name === a.Name)) continue;
      this.error(
        `Field "${field.Name}" argument "${a.Name}" of type "${typeString(a.Type)}" is required, but it was not provided.`,
        field.Position,
      );
    }
    // ScalarLeafs (§5.3.3)
    if (next !== undefined && def.Type !== null) {
      if (isLeaf(next) && field.SelectionSet.length > 0) {
        this.error(
          `Field "${field.Name}" must not have a selection since type "${next.Name}" has no subfields.`,
          field.Position,
        );
      }
      if (!isLeaf(next) && field.SelectionSet.length === 0) {
        this.error(
          `Field "${field.Name}" of type "${typeString(def.Type)}" must have a selection of subfields. Did you mean "${field.Name} { ... }"?`,
          field.Position,
        );
      }
    }
    // UniqueArgumentNames (§5.4.2)
    this.uniqueArguments(field.Arguments);
  }

  /** FieldsOnCorrectType's hint: types in an abstract type that have the field, else similar field names. */
  private fieldHint(parent: Definition, name: string): string {
    if (parent.Kind === 'INTERFACE' || parent.Kind === 'UNION') {
      const objects: string[] = [];
      const interfaces: string[] = [];
      const usage = new Map<string, number>();
      for (const t of this.schema.possibleTypes.get(parent.Name) ?? []) {
        if (!t.Fields.some((f) => f.Name === name)) continue;
        objects.push(t.Name);
        for (const i of t.Interfaces) {
          if (this.schema.types.get(i)?.Fields.some((f) => f.Name === name) !== true) continue;
          if (!usage.has(i)) interfaces.push(i);
          usage.set(i, (usage.get(i) ?? 0) + 1);
        }
      }
      // Interfaces used by more of the types come first, then names in order.
      const types = [...interfaces, ...objects].sort(
        (a, b) => (usage.get(b) ?? 0) - (usage.get(a) ?? 0) || (a < b ? -1 : a > b ? 1 : 0),
      );
      if (types.length > 0) return ` Did you mean to use an inline fragment on ${quotedOrList(types)}?`;
    }
    if (parent.Kind !== 'OBJECT' && parent.Kind !== 'INTERFACE') return '';
    return didYouMean(
      'Did you mean',
      name,
      parent.Fields.map((f) => f.Name),
    );
  }

  private uniqueArguments(args: readonly Argument[]): void {
    const seen = new Map<string, number>();
    for (const arg of args) {
      const n = seen.get(arg.Name) ?? 0;
      if (n === 1) this.error(`There can be only one argument named "${arg.Name}".`, arg.Position);
      seen.set(arg.Name, n + 1);
    }
  }

  private walkInlineFragment(parent: Definition | undefined, frag: InlineFragment): void {
    const next = frag.TypeCondition === '' ? parent : this.schema.types.get(frag.TypeCondition);
    this.walkDirectives(frag.Directives, 'INLINE_FRAGMENT');
    this.walkSelectionSet(next, frag.SelectionSet);
    const def = this.schema.types.get(frag.TypeCondition);
    // FragmentsOnCompositeTypes (§5.5.1.3)
    if (def !== undefined && !isComposite(def)) {
      this.error(`Fragment cannot condition on non composite type "${frag.TypeCondition}".`, frag.Position);
    }
    // KnownTypeNames (§5.5.1.2)
    if (frag.TypeCondition !== '' && def === undefined)
      this.error(`Unknown type "${frag.TypeCondition}".`, frag.Position);
    // PossibleFragmentSpreads (§5.5.2.3)
    if (parent !== undefined && !this.canSpread(parent, frag.TypeCondition)) {
      this.error(
        `Fragment cannot be spread here as objects of type "${parent.Name}" can never be of type "${frag.TypeCondition}".`,
        frag.Position,
      );
    }
  }

  private walkFragmentSpread(parent: Definition | undefined, spread: FragmentSpread): void {
    const frag = this.fragment(spread.Name);
    const next = frag === undefined ? undefined : this.schema.types.get(frag.TypeCondition);
    this.walkDirectives(spread.Directives, 'FRAGMENT_SPREAD');
    if (frag !== undefined && !this.walkedFragments.has(frag.Name)) {
      // Each fragment once per operation, which also ends cycles.
      this.walkedFragments.add(frag.Name);
      this.walkSelectionSet(next, frag.SelectionSet);
    }
    // KnownFragmentNames (§5.5.2.1)
    if (frag === undefined) this.error(`Unknown fragment "${spread.Name}".`, spread.Position);
    if (!this.inFragmentDefinition) this.usedFragments.add(spread.Name);
    // PossibleFragmentSpreads (§5.5.2.3)
    if (frag !== undefined && parent !== undefined && !this.canSpread(parent, frag.TypeCondition)) {
      this.error(
        `Fragment "${spread.Name}" cannot be spread here as objects of type "${parent.Name}" can never be of type "${frag.TypeCondition}".`,
        spread.Position,
      );
    }
  }

  /** Whether some object type is both a possible `parent` and of the fragment's type. */
  private canSpread(parent: Definition, typeCondition: string): boolean {
    if (parent.Kind !== 'OBJECT' && parent.Kind !== 'INTERFACE' && parent.Kind !== 'UNION') return true;
    const fragType = this.schema.types.get(typeCondition);
    if (fragType === undefined || !isComposite(fragType)) return true;
    const parents = this.possibleTypes(parent);
    return this.possibleTypes(fragType).some((f) => parents.some((p) => p.Name === f.Name));
  }

  private walkDirectives(dirs: readonly Directive[], location: string): void {
    for (const dir of dirs) {
      const def = this.schema.directives.get(dir.Name);
      for (const arg of dir.Arguments) {
        this.walkArgumentValue(arg, def?.Arguments.find((a) => a.Name === arg.Name)?.Type ?? undefined);
      }
      this.leaveDirective(dir, def, location);
    }
    // UniqueDirectivesPerLocation (§5.7.3)
    const seen = new Set<string>();
    for (const dir of dirs) {
      if (seen.has(dir.Name) && this.schema.directives.get(dir.Name)?.IsRepeatable !== true) {
        this.error(`The directive "@${dir.Name}" can only be used once at this location.`, dir.Position);
      }
      seen.add(dir.Name);
    }
  }

  private readonly misplacedDirectives = new Set<string>();

  private leaveDirective(dir: Directive, def: DirectiveDefinition | undefined, location: string): void {
    // KnownDirectives (§5.7.1, §5.7.2)
    if (def === undefined) {
      this.error(`Unknown directive "@${dir.Name}".`, dir.Position);
    } else if (!def.Locations.includes(location)) {
      const key = `${dir.Name}:${dir.Position?.line}:${dir.Position?.column}`;
      if (!this.misplacedDirectives.has(key)) {
        this.misplacedDirectives.add(key);
        this.error(`Directive "@${dir.Name}" may not be used on ${location}.`, dir.Position);
      }
    }
    if (def === undefined) {
      this.uniqueArguments(dir.Arguments);
      return;
    }
    // KnownArgumentNames (§5.4.1)
    for (const arg of dir.Arguments) {
      if (!def.Arguments.some((a) => a.Name === arg.Name)) {
        const hint = didYouMean(
          'Did you mean',
          arg.Name,
          def.Arguments.map((a) => a.Name),
        );
        this.error(`Unknown argument "${arg.Name}" on directive "@${dir.Name}".${hint}`, dir.Position);
      }
    }
    // ProvidedRequiredArguments (§5.4.2.1)
    for (const a of def.Arguments) {
      if (a.Type?.NonNull !== true || a.DefaultValue !== null) continue;
      if (dir.Arguments.some((x) => x.Name === a.Name)) continue;
      this.error(
        `Directive "@${def.Name}" argument "${a.Name}" of type "${typeString(a.Type)}" is required, but it was not provided.`,
        dir.Position,
      );
    }
    this.uniqueArguments(dir.Arguments);
  }

  private walkArgumentValue(arg: Argument, expected: GqlType | undefined): void {
    if (arg.Value === null) return;
    const definition = expected === undefined ? undefined : this.schema.types.get(typeName(expected));
    this.walkValue(arg.Value, { expected, definition });
  }

  private walkValue(value: GqlValue, ctx: ValueContext): void {
    let variable: VariableDefinition | undefined;
    if (value.Kind === ValueKind.Variable && this.operation !== undefined) {
      variable = this.operation.VariableDefinitions.find((v) => v.Variable === value.Raw);
      if (variable !== undefined) this.usedVariables.add(variable);
    }
    if (value.Kind === ValueKind.ObjectValue) {
      for (const child of value.Children) {
        if (child.Value === null) continue;
        const f = ctx.definition?.Fields.find((x) => x.Name === child.Name);
        const t = f?.Type ?? undefined;
        this.walkValue(child.Value, {
          expected: t,
          definition: t === undefined ? undefined : this.schema.types.get(typeName(t)),
        });
      }
    }
    if (value.Kind === ValueKind.ListValue) {
      for (const child of value.Children) {
        if (child.Value === null) continue;
        const elem = ctx.expected?.Elem ?? undefined;
        this.walkValue(
          child.Value,
          elem === undefined
            ? { expected: undefined, definition: undefined }
            : { expected: elem, definition: ctx.definition },
        );
      }
    }
    this.leaveValue(value, ctx, variable);
  }

  private leaveValue(value: GqlValue, ctx: ValueContext, variable: VariableDefinition | undefined): void {
    // NoUndefinedVariables (§5.8.3)
    if (this.operation !== undefined && value.Kind === ValueKind.Variable && variable === undefined) {
      const name = this.operation.Name;
      this.error(
        name === ''
          ? `Variable "$${value.Raw}" is not defined.`
          : `Variable "$${value.Raw}" is not defined by operation "${name}".`,
        value.Position,
      );
    }
    // UniqueInputFieldNames (§5.6.3)
    if (value.Kind === ValueKind.ObjectValue) {
      const seen = new Set<string>();
      for (const c of value.Children) {
        if (seen.has(c.Name)) this.error(`There can be only one input field named "${c.Name}".`, c.Position);
        seen.add(c.Name);
      }
    }
    this.valuesOfCorrectType(value, ctx);
    // VariablesInAllowedPosition (§5.8.5)
    if (
      value.Kind === ValueKind.Variable &&
      ctx.expected !== undefined &&
      variable !== undefined &&
      this.operation !== undefined
    ) {
      const expected = { ...ctx.expected };
      // A default value lets a nullable variable fill a non-null position.
      if (variable.DefaultValue !== null && variable.DefaultValue.Kind !== ValueKind.NullValue)
        expected.NonNull = false;
      if (!isCompatible(variable.Type, expected)) {
        this.error(
          `Variable "$${value.Raw}" of type "${variable.Type === null ? '' : typeString(variable.Type)}" used in position expecting type "${typeString(ctx.expected)}".`,
          value.Position,
        );
      }
    }
  }

  /** ValuesOfCorrectType (§5.6.1). */
  private valuesOfCorrectType(value: GqlValue, ctx: ValueContext): void {
    const { expected, definition: def } = ctx;
    if (def === undefined || expected === undefined) return;
    const expectedText = typeString(expected);
    if (value.Kind === ValueKind.NullValue && expected.NonNull) {
      this.error(`Expected value of type "${expectedText}", found ${valueString(value)}.`, value.Position);
    }
    // Custom scalars validate their own literals.
    const builtinScalar = ['Int', 'Float', 'String', 'Boolean', 'ID'].includes(def.Name);
    if (def.Kind === 'SCALAR' && !builtinScalar) return;
    const oneOf = (...names: string[]) => names.includes(def.Name);
    const enumHint = () =>
      didYouMean(
        'Did you mean the enum value',
        value.Raw,
        def.EnumValues.map((e) => e.Name),
      );
    const unexpected = () => this.error(unexpectedTypeMessage(value, expected, def), value.Position);
    // gqlparser reads integer literals as int64 first.
    if (
      value.Kind === ValueKind.IntValue &&
      (BigInt(value.Raw) > INT64_MAX || BigInt(value.Raw) < -INT64_MAX - 1n)
    ) {
      unexpected();
    }
    switch (value.Kind) {
      case ValueKind.ListValue:
        if (expected.Elem === null) unexpected();
        break;
      case ValueKind.IntValue:
        if (!oneOf('Int', 'Float', 'ID')) unexpected();
        break;
      case ValueKind.FloatValue:
        if (!oneOf('Float')) unexpected();
        break;
      case ValueKind.StringValue:
      case ValueKind.BlockValue:
        if (def.Kind === 'ENUM') {
          this.error(
            `Enum "${expectedText}" cannot represent non-enum value: ${valueString(value)}.${enumHint()}`,
            value.Position,
          );
        } else if (!oneOf('String', 'ID')) unexpected();
        break;
      case ValueKind.EnumValue:
        if (def.Kind !== 'ENUM') {
          // gqlparser offers the (here empty) enum values, unquoted.
          this.error(unexpectedTypeMessage(value, expected, def), value.Position);
        } else if (!def.EnumValues.some((e) => e.Name === value.Raw)) {
          this.error(
            `Value "${value.Raw}" does not exist in "${expectedText}" enum.${enumHint()}`,
            value.Position,
          );
        }
        break;
      case ValueKind.BooleanValue:
        if (!oneOf('Boolean')) unexpected();
        break;
      case ValueKind.ObjectValue:
        for (const f of def.Fields) {
          if (
            f.Type?.NonNull === true &&
            f.DefaultValue === null &&
            !value.Children.some((c) => c.Name === f.Name)
          ) {
            this.error(
              `Field "${def.Name}.${f.Name}" of required type "${typeString(f.Type)}" was not provided.`,
              value.Position,
            );
          }
        }
        for (const c of value.Children) {
          if (!def.Fields.some((f) => f.Name === c.Name)) {
            const hint = didYouMean(
              'Did you mean',
              c.Name,
              def.Fields.map((f) => f.Name),
            );
            this.error(`Field "${c.Name}" is not defined by type "${def.Name}".${hint}`, c.Position);
          }
        }
        break;
    }
  }

  /** OverlappingFieldsCanBeMerged (§5.3.2), checked for each selection set as the walk leaves it. */
  private checkOverlaps(parent: Definition | undefined, sels: readonly Selection[]): void {
    const fields = this.collectFields(parent, sels, new Set());
    const reported = new Set<string>();
    for (let i = 0; i < fields.length; i++) {
      for (let j = i + 1; j < fields.length; j++) {
        const a = fields[i]!;
        const b = fields[j]!;
        if (a.key !== b.key || reported.has(a.key)) continue;
        this.compared();
        const reason = this.conflict(a, b, false);
        if (reason !== undefined) {
          reported.add(a.key);
          this.error(
            `Fields "${a.key}" conflict because ${reason}. Use different aliases on the fields to fetch both if this was intentional.`,
            a.field.Position,
          );
        }
      }
    }
  }

  private collectFields(
    parent: Definition | undefined,
    sels: readonly Selection[],
    visited: Set<string>,
  ): CollectedField[] {
    const out: CollectedField[] = [];
    for (const s of sels) {
      if (isField(s)) {
        const def = s.Name === '__typename' ? TYPENAME_FIELD : parent?.Fields.find((f) => f.Name === s.Name);
        out.push({ key: s.Alias === '' ? s.Name : s.Alias, field: s, parent, def });
      } else if (isInlineFragment(s)) {
        const next = s.TypeCondition === '' ? parent : this.schema.types.get(s.TypeCondition);
        out.push(...this.collectFields(next, s.SelectionSet, visited));
      } else {
        const frag = this.fragment(s.Name);
        if (frag === undefined || visited.has(frag.Name)) continue;
        visited.add(frag.Name);
        out.push(
          ...this.collectFields(this.schema.types.get(frag.TypeCondition), frag.SelectionSet, visited),
        );
      }
    }
    return out;
  }

  /** Field nodes numbered for the memo below. */
  private readonly fieldIds = new Map<Field, number>();
  /**
   * Answers for pairs of fields already compared. Without it, repeated nested fields cost time
   * exponential in their depth, and fragments that spread themselves inside a field recurse
   * forever; a pair under comparison counts as no conflict until its answer is known.
   */
  private readonly conflicts = new Map<string, string | undefined>();

  private conflict(a: CollectedField, b: CollectedField, parentsExclusive: boolean): string | undefined {
    const id = (f: Field) => {
      let n = this.fieldIds.get(f);
      if (n === undefined) {
        n = this.fieldIds.size;
        this.fieldIds.set(f, n);
      }
      return n;
    };
    const key = `${id(a.field)}:${id(b.field)}:${parentsExclusive}`;
    if (this.conflicts.has(key)) return this.conflicts.get(key);
    this.conflicts.set(key, undefined);
    const answer = this.compareFields(a, b, parentsExclusive);
    this.conflicts.set(key, answer);
    return answer;
  }

  private compareFields(a: CollectedField, b: CollectedField, parentsExclusive: boolean): string | undefined {
    // Fields on different object types can never both be in one response object.
    const exclusive =
      parentsExclusive ||
      (a.parent !== undefined &&
        b.parent !== undefined &&
        a.parent !== b.parent &&
        a.parent.Kind === 'OBJECT' &&
        b.parent.Kind === 'OBJECT');
    if (!exclusive) {
      if (a.field.Name !== b.field.Name)
        return `"${a.field.Name}" and "${b.field.Name}" are different fields`;
      if (!sameArguments(a.field.Arguments, b.field.Arguments)) return 'they have differing arguments';
    }
    const ta = a.def?.Type ?? null;
    const tb = b.def?.Type ?? null;
    if (ta !== null && tb !== null && this.typesConflict(ta, tb)) {
      return `they return conflicting types "${typeString(ta)}" and "${typeString(tb)}"`;
    }
    const subA = this.collectFields(
      ta === null ? undefined : this.schema.types.get(typeName(ta)),
      a.field.SelectionSet,
      new Set(),
    );
    const subB = this.collectFields(
      tb === null ? undefined : this.schema.types.get(typeName(tb)),
      b.field.SelectionSet,
      new Set(),
    );
    const reasons: string[] = [];
    const seen = new Set<string>();
    for (const x of subA) {
      for (const y of subB) {
        if (x.key !== y.key || seen.has(x.key)) continue;
        this.compared();
        const r = this.conflict(x, y, exclusive);
        if (r !== undefined) {
          seen.add(x.key);
          reasons.push(`subfields "${x.key}" conflict because ${r}`);
        }
      }
    }
    return reasons.length === 0 ? undefined : reasons.join(' and ');
  }

  private typesConflict(a: GqlType, b: GqlType): boolean {
    if (a.Elem !== null) return b.Elem === null || this.typesConflict(a.Elem, b.Elem);
    if (b.Elem !== null) return true;
    if (a.NonNull !== b.NonNull) return true;
    const da = this.schema.types.get(a.NamedType);
    const db = this.schema.types.get(b.NamedType);
    if ((da !== undefined && isLeaf(da)) || (db !== undefined && isLeaf(db)))
      return a.NamedType !== b.NamedType;
    return false;
  }
}

interface CollectedField {
  key: string;
  field: Field;
  parent: Definition | undefined;
  def: FieldDefinition | undefined;
}

function sameArguments(a: readonly Argument[], b: readonly Argument[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x) => {
    const y = b.find((z) => z.Name === x.Name);
    return y !== undefined && sameValue(x.Value, y.Value);
  });
}

/** Equal literals, where input object fields may come in any order. */
function sameValue(a: GqlValue | null, b: GqlValue | null): boolean {
  if (a === null || b === null) return a === b;
  if (a.Kind !== b.Kind || a.Raw !== b.Raw || a.Children.length !== b.Children.length) return false;
  if (a.Kind === ValueKind.ObjectValue) {
    return a.Children.every((c) => {
      const d = b.Children.find((x) => x.Name === c.Name);
      return d !== undefined && sameValue(c.Value, d.Value);
    });
  }
  return a.Children.every((c, i) => sameValue(c.Value, b.Children[i]?.Value ?? null));
}

function spreadsIn(sels: readonly Selection[]): FragmentSpread[] {
  const out: FragmentSpread[] = [];
  for (const s of sels) {
    if (isField(s) || isInlineFragment(s)) out.push(...spreadsIn(s.SelectionSet));
    else out.push(s);
  }
  return out;
}

/** gqlparser's wording for a literal of the wrong type. */
function unexpectedTypeMessage(v: GqlValue, expected: GqlType, def: Definition): string {
  const text = valueString(v);
  switch (typeString(expected)) {
    case 'Int':
    case 'Int!':
      if (/^-?\d+$/.test(v.Raw) && v.Kind === ValueKind.IntValue) {
        return `Int cannot represent non 32-bit signed integer value: ${text}`;
      }
      return `Int cannot represent non-integer value: ${text}`;
    case 'String':
    case 'String!':
    case '[String]':
      return `String cannot represent a non string value: ${text}`;
    case 'Boolean':
    case 'Boolean!':
      return `Boolean cannot represent a non boolean value: ${text}`;
    case 'Float':
    case 'Float!':
      return `Float cannot represent non numeric value: ${text}`;
    case 'ID':
    case 'ID!':
      return `ID cannot represent a non-string and non-integer value: ${text}`;
    default:
      if (def.Kind === 'ENUM')
        return `Enum "${typeString(expected)}" cannot represent non-enum value: ${text}.`;
      return `Expected value of type "${typeString(expected)}", found ${text}.`;
  }
}

/**
 * How many pairs of same-named fields one validation may compare. Real queries compare a few
 * hundred; 3000 copies of one field (15 KB of query) would take 4.5 million, seconds of the
 * event loop. Reaching the budget takes about 0.1 s on the 2-core development VM.
 */
export const MAX_FIELD_COMPARISONS = 100_000;

/** A query whose validation would cost more than the budget allows. */
export class QueryTooComplexError extends Error {}

/** All validation errors, in the order gqlparser finds them. */
export function validateQuery(schema: Schema, doc: QueryDocument): GraphqlError[] {
  const v = new Validator(schema, doc);
  v.run();
  return v.errors;
}
