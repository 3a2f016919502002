import { describe, expect, it } from 'vitest';
import { BuiltinError } from '../builtin-error.js';
import { JS_BUILTINS } from './index.js';

const call = (name: string, ...args: unknown[]) => JS_BUILTINS.get(name)!(...args);

const errorOf = (fn: () => unknown): BuiltinError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof BuiltinError) return err;
    throw err;
  }
  throw new Error('expected an error');
};

const LIBRARY = `
  type Book { title: String! pages: Int author: Author }
  type Author { name: String! books(first: Int = 5): [Book!]! }
  enum Shelf { FICTION HISTORY }
  input Filter { shelf: Shelf! title: String }
  type Query {
    book(id: ID!): Book
    books(filter: Filter): [Book]
    shelf: Shelf
  }
`;

describe('graphql.parse_query', () => {
  it('returns the document in gqlparser JSON shape, without empty fields', () => {
    expect(call('graphql.parse_query', 'query Q($n: Int = 3) { book(id: "b1") { t: title } }')).toEqual({
      Operations: [
        {
          Name: 'Q',
          Operation: 'query',
          VariableDefinitions: [
            {
              Variable: 'n',
              Type: { NamedType: 'Int', NonNull: false },
              DefaultValue: { Raw: '3', Kind: 1 },
              Used: false,
            },
          ],
          SelectionSet: [
            {
              Alias: 'book',
              Name: 'book',
              Arguments: [{ Name: 'id', Value: { Raw: 'b1', Kind: 3 } }],
              SelectionSet: [{ Alias: 't', Name: 'title' }],
            },
          ],
        },
      ],
    });
  });

  it('tells fragment spreads, inline fragments and values apart', () => {
    const doc = call(
      'graphql.parse_query',
      '{ ...F ... on Book @skip(if: true) { x(l: [1.5, RED, null, {k: $v}]) } } fragment F on Book { y }',
    );
    expect(doc).toEqual({
      Operations: [
        {
          Name: '',
          Operation: 'query',
          SelectionSet: [
            { Name: 'F' },
            {
              TypeCondition: 'Book',
              Directives: [
                { Name: 'skip', Location: '', Arguments: [{ Name: 'if', Value: { Raw: 'true', Kind: 5 } }] },
              ],
              SelectionSet: [
                {
                  Alias: 'x',
                  Name: 'x',
                  Arguments: [
                    {
                      Name: 'l',
                      Value: {
                        Raw: '',
                        Kind: 8,
                        Children: [
                          { Name: '', Value: { Raw: '1.5', Kind: 2 } },
                          { Name: '', Value: { Raw: 'RED', Kind: 7 } },
                          { Name: '', Value: { Raw: 'null', Kind: 6 } },
                          {
                            Name: '',
                            Value: {
                              Raw: '',
                              Kind: 9,
                              Children: [{ Name: 'k', Value: { Raw: 'v', Kind: 0 } }],
                            },
                          },
                        ],
                      },
                    },
                  ],
                },
              ],
            },
          ],
        },
      ],
      Fragments: [{ Name: 'F', TypeCondition: 'Book', SelectionSet: [{ Alias: 'y', Name: 'y' }] }],
    });
  });

  it('dedents block strings and decodes escapes', () => {
    const doc = call(
      'graphql.parse_query',
      '{ f(a: """\n    one\n      two\n  """, b: "tab\\there \\u00e9") }',
    ) as {
      Operations: { SelectionSet: { Arguments: { Value: { Raw: string } }[] }[] }[];
    };
    const args = doc.Operations[0]!.SelectionSet[0]!.Arguments;
    expect(args.map((a) => a.Value.Raw)).toEqual(['one\n  two', 'tab\there é']);
  });

  it.each([
    ['{ book(id: 1) ', 'Expected Name, found <EOF> in GraphQL string at location 1:15'],
    ['query { a: }', 'Expected Name, found } in GraphQL string at location 1:12'],
    ['fragment F Book { a }', 'Expected "on", found Name "Book" in GraphQL string at location 1:12'],
    ['type Book { a: Int }', 'Unexpected Name "type" in GraphQL string at location 1:1'],
    ['{ a }\n  { b { } }', 'expected at least one definition, found } in GraphQL string at location 2:9'],
    ['query ($v: Int = $w) { a }', 'Unexpected $ in GraphQL string at location 1:18'],
    ['{ a(s: "no end) }', 'Unexpected <Invalid> in GraphQL string at location 1:18'],
    ['{ a(s: "x") } "stray"', 'Unexpected String "stray" in GraphQL string at location 1:16'],
  ])('reports %j as gqlparser does', (text, message) => {
    const err = errorOf(() => call('graphql.parse_query', text));
    expect(err.code).toBe('eval_builtin_error');
    expect(err.message).toBe(`graphql.parse_query: ${message}`);
  });

  it('counts columns in characters, not bytes', () => {
    expect(errorOf(() => call('graphql.parse_query', '# ਊਊ\n{ ਊ }')).message).toBe(
      'graphql.parse_query: Expected Name, found <Invalid> in GraphQL string at location 2:3',
    );
  });

  it('rejects operands that are not strings', () => {
    expect(errorOf(() => call('graphql.parse_query', 1)).code).toBe('eval_type_error');
  });
});

describe('graphql.parse_schema', () => {
  it('returns definitions, extensions, directives and schema entries', () => {
    const doc = call(
      'graphql.parse_schema',
      `"A shelf" enum Shelf { FICTION }
       extend type Book implements & Thing @tag
       directive @tag(name: String = "x") repeatable on OBJECT | FIELD
       schema { query: Query }
       union U = | Book`,
    );
    expect(doc).toEqual({
      Definitions: [
        {
          Kind: 'ENUM',
          Name: 'Shelf',
          Description: 'A shelf',
          BuiltIn: false,
          EnumValues: [{ Name: 'FICTION', Description: '' }],
        },
        { Kind: 'UNION', Name: 'U', Description: '', BuiltIn: false, Types: ['Book'] },
      ],
      Extensions: [
        {
          Kind: 'OBJECT',
          Name: 'Book',
          Description: '',
          BuiltIn: false,
          Interfaces: ['Thing'],
          Directives: [{ Name: 'tag', Location: '' }],
        },
      ],
      Directives: [
        {
          Name: 'tag',
          Description: '',
          IsRepeatable: true,
          Locations: ['OBJECT', 'FIELD'],
          Arguments: [
            {
              Name: 'name',
              Description: '',
              Type: { NamedType: 'String', NonNull: false },
              DefaultValue: { Raw: 'x', Kind: 3 },
            },
          ],
        },
      ],
      Schema: [{ Description: '', OperationTypes: [{ Operation: 'query', Type: 'Query' }] }],
    });
  });

  it.each([
    ['input Filter { a(b: Int): Int }', 'Expected :, found ( in GraphQL string at location 1:17'],
    ['scalar Date\nextend scalar Date', 'Unexpected <EOF> in GraphQL string at location 2:19'],
    ['directive @d on NOWHERE', 'Unexpected Name "NOWHERE" in GraphQL string at location 1:17'],
    ['"doc"\nextend type A { a: Int }', 'Unexpected String "doc" in GraphQL string at location 1:2'],
    ['type A { }', 'expected at least one definition, found } in GraphQL string at location 1:10'],
  ])('reports %j as gqlparser does', (text, message) => {
    expect(errorOf(() => call('graphql.parse_schema', text)).message).toBe(
      `graphql.parse_schema: ${message}`,
    );
  });
});

describe('graphql.schema_is_valid', () => {
  it.each([
    [LIBRARY, true],
    ['extend type Query { a: Int }', true],
    ['type Query { a: Missing }', false],
    ['type A implements I { a: Int }', false],
    ['interface I { a: Int }\ntype A implements I { b: Int }', false],
    ['interface I { a: Int }\ninterface J implements I { a: Int }\ntype A implements J { a: Int }', false],
    ['scalar S\nextend type S @deprecated', false],
    ['type Query { a: Int }\ntype Query { b: Int }', false],
    ['schema { query: Nope }', false],
    ['type Query { a(x: Query): Int }', false],
    ['enum E { A @deprecated }\ntype Query { e: E @deprecated(reason: "old") }', true],
    ['type Query { a: Int @skip(if: true) }', false],
    ['type Query { a: Int }\ntype Query2 { a: Int', false],
  ])('%j is %s', (schema, want) => {
    expect(call('graphql.schema_is_valid', schema)).toBe(want);
  });

  it('accepts a parsed schema', () => {
    expect(call('graphql.schema_is_valid', call('graphql.parse_schema', LIBRARY))).toBe(true);
  });
});

describe('graphql.is_valid', () => {
  it.each([
    ['{ book(id: "1") { title author { name books { pages } } } }', true],
    ['query ($s: Shelf! = FICTION) { books(filter: {shelf: $s}) { title } }', true],
    ['{ books { ...T } } fragment T on Book { title }', true],
    ['{ book { title } }', false],
    ['{ book(id: 1) { nope } }', false],
    ['{ book(id: 1) }', false],
    ['{ shelf { x } }', false],
    ['{ books(filter: {title: "a"}) { title } }', false],
    ['{ books(filter: {shelf: POETRY}) { title } }', false],
    ['query ($id: String) { book(id: $id) { title } }', false],
    ['query ($id: ID!) { shelf }', false],
    ['{ book(id: $id) { title } }', false],
    ['{ book(id: 1, id: 2) { title } }', false],
    ['{ book(id: 1) { ...Missing } }', false],
    ['{ shelf } fragment Unused on Book { title }', false],
    ['{ book(id: 1) { ...A } } fragment A on Book { ...B } fragment B on Book { ...A }', false],
    ['{ book(id: 1) { ... on Author { name } } }', false],
    ['{ book(id: 1) { a: title a: pages } }', false],
    ['{ book(id: 1) { title } book(id: 2) { title } }', false],
    [
      '{ books(filter: {shelf: FICTION, title: "x"}) { title } books(filter: {title: "x", shelf: FICTION}) { pages } }',
      true,
    ],
    ['{ book(id: 1) { author { n: name } } book(id: 1) { author { n: __typename } } }', false],
    ['{ book(id: 1) { title @include(if: true) } book(id: 1) { title @skip(if: true) } }', true],
    ['{ book(id: 1) { title @include(if: true) @include(if: false) } }', false],
    ['{ shelf @unknown }', false],
    ['mutation { shelf }', false],
    ['{ shelf } { shelf }', false],
    ['{ __typename __schema { queryType { name } } }', true],
  ])('%j is %s', (query, want) => {
    expect(call('graphql.is_valid', query, LIBRARY)).toBe(want);
  });

  it('ends on repeated nested fields and on fragments that spread themselves inside fields', () => {
    const schema = 'type Query { a: Query b: Int }';
    let nested = '{ b }';
    for (let i = 0; i < 8; i++) nested = `{ a ${nested} a ${nested} }`;
    const started = Date.now();
    expect(call('graphql.is_valid', nested, schema)).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(call('graphql.is_valid', '{ ...F } fragment F on Query { a { ...F } a { ...F } }', schema)).toBe(
      false,
    );
  });

  it('accepts parsed documents on either side', () => {
    const query = call('graphql.parse_query', '{ book(id: 1) { title } }');
    const schema = call('graphql.parse_schema', LIBRARY);
    expect(call('graphql.is_valid', query, schema)).toBe(true);
    expect(call('graphql.is_valid', '{ book(id: 1) { nope } }', schema)).toBe(false);
  });

  it('is false, not an error, for operands of the wrong type', () => {
    expect(call('graphql.is_valid', 1, LIBRARY)).toBe(false);
    expect(call('graphql.schema_is_valid', [LIBRARY])).toBe(false);
    expect(call('graphql.parse_and_verify', '{ shelf }', null)).toEqual([false, {}, {}]);
    expect(errorOf(() => call('graphql.parse', '{ shelf }', 2)).code).toBe('eval_type_error');
  });

  it('reads every selection of a parsed query as a field, as OPA does, so fragments there fail', () => {
    const schema = call('graphql.parse_schema', LIBRARY);
    const spread = call('graphql.parse_query', '{ book(id: 1) { ...T } } fragment T on Book { title }');
    expect(call('graphql.is_valid', '{ book(id: 1) { ...T } } fragment T on Book { title }', schema)).toBe(
      true,
    );
    expect(call('graphql.is_valid', spread, schema)).toBe(false);
    expect(errorOf(() => call('graphql.parse', spread, schema)).message).toBe(
      // Trees carry no positions, so OPA's formatter falls back to gqlparser's whole error list.
      'graphql.parse: GraphQL parse error: input: Cannot query field "T" on type "Book".\ninput: Fragment "T" is never used.\n',
    );
  });

  it('is false when either side does not parse', () => {
    expect(call('graphql.is_valid', '{', LIBRARY)).toBe(false);
    expect(call('graphql.is_valid', '{ shelf }', 'type {')).toBe(false);
  });
});

describe('graphql.parse and graphql.parse_and_verify', () => {
  it('return both trees for a valid query', () => {
    const [query, schema] = call('graphql.parse', '{ shelf }', 'type Query { shelf: Int }') as unknown[];
    expect(query).toEqual({
      Operations: [{ Name: '', Operation: 'query', SelectionSet: [{ Alias: 'shelf', Name: 'shelf' }] }],
    });
    expect(schema).toEqual(call('graphql.parse_schema', 'type Query { shelf: Int }'));
    expect(call('graphql.parse_and_verify', '{ shelf }', 'type Query { shelf: Int }')).toEqual([
      true,
      query,
      schema,
    ]);
  });

  it('round-trips parsed trees', () => {
    const query = call('graphql.parse_query', '{ book(id: 1) { title } }');
    const schema = call('graphql.parse_schema', LIBRARY);
    expect(call('graphql.parse', query, schema)).toEqual([query, schema]);
  });

  it('reports the first validation error without its closing period', () => {
    expect(errorOf(() => call('graphql.parse', '{\n  book { title }\n}', LIBRARY)).message).toBe(
      'graphql.parse: Field "book" argument "id" of type "ID!" is required, but it was not provided in GraphQL string at location 2:3',
    );
    expect(call('graphql.parse_and_verify', '{ book { title } }', LIBRARY)).toEqual([false, {}, {}]);
  });

  it("keeps later validation errors in the message, as OPA splits gqlparser's error list", () => {
    expect(errorOf(() => call('graphql.parse', '{ book { nope } }', LIBRARY)).message).toBe(
      'graphql.parse: Cannot query field "nope" on type "Book".\ninput:1:3: Field "book" argument "id" of type "ID!" is required, but it was not provided in GraphQL string at location 1:10',
    );
  });

  it.each([
    ['{ book(id: 1) { titel } }', 'Cannot query field "titel" on type "Book". Did you mean "title"?'],
    ['{ book(idd: 1, id: 1) { title } }', 'Unknown argument "idd" on field "Query.book". Did you mean "id"?'],
    [
      '{ books(filter: {shelf: fiction}) { title } }',
      'Value "fiction" does not exist in "Shelf!" enum. Did you mean the enum value "FICTION"?',
    ],
    [
      '{ books(filter: {shelf: "FICTION"}) { title } }',
      'Enum "Shelf!" cannot represent non-enum value: "FICTION". Did you mean the enum value "FICTION"?',
    ],
    [
      '{ books(filter: {shelf: HISTORY, titl: "x"}) { title } }',
      'Field "titl" is not defined by type "Filter". Did you mean "title"?',
    ],
    [
      '{ thing { size } }',
      'Cannot query field "size" on type "Thing". Did you mean to use an inline fragment on "Sized", "Box", or "Crate"?',
    ],
    ['{ book(id: 1.5) { title } }', 'ID cannot represent a non-string and non-integer value: 1.5'],
    [
      '{ book(id: 1) { ...F } } fragment F on Boook { title }',
      'Unknown type "Boook". Did you mean "Book" or "Box"?',
    ],
  ])('words the error for %j as gqlparser does', (query, message) => {
    const schema = `${LIBRARY}
      interface Thing { id: ID }
      interface Sized { size: Int }
      type Box implements Thing & Sized { id: ID size: Int }
      type Crate implements Thing & Sized { id: ID size: Int }
      extend type Query { thing: Thing }`;
    const err = errorOf(() => call('graphql.parse', query, schema));
    expect(err.message.replace(/\n? in GraphQL string at location \d+:\d+$/, '')).toBe(
      `graphql.parse: ${message}`,
    );
  });

  it('keeps the line break after a message that does not end in a period, as OPA trims only ".\\n"', () => {
    expect(errorOf(() => call('graphql.parse', '{ book(id: 1) { title(x: 1) } }', LIBRARY)).message).toBe(
      'graphql.parse: Unknown argument "x" on field "Book.title" in GraphQL string at location 1:17',
    );
    expect(errorOf(() => call('graphql.parse', '{ book(id: 1) }', LIBRARY)).message).toBe(
      'graphql.parse: Field "book" of type "Book" must have a selection of subfields. Did you mean "book { ... }"?\n in GraphQL string at location 1:3',
    );
  });

  it('reports a schema that does not load with its location', () => {
    expect(errorOf(() => call('graphql.parse', '{ a }', 'type Query {\n  a: Nope\n}')).message).toBe(
      'graphql.parse: Error in gqlparser SchemaDocument to Schema conversion: input:2:6: Undefined type Nope.',
    );
  });

  it('counts top-level subscription fields by response name, through fragments', () => {
    const schema = 'type Query { a: Int }\ntype Subscription { news: Int other: Int }';
    expect(
      call('graphql.is_valid', 'subscription { news ...N } fragment N on Subscription { news }', schema),
    ).toBe(true);
    expect(
      errorOf(() => call('graphql.parse', 'subscription S { news ... { o: other } }', schema)).message,
    ).toBe(
      'graphql.parse: Subscription "S" must select only one top level field in GraphQL string at location 1:29',
    );
  });

  it('marks a variable used through a fragment as used', () => {
    const query = 'query ($id: ID!) { ...B } fragment B on Query { book(id: $id) { title } }';
    expect(call('graphql.is_valid', query, LIBRARY)).toBe(true);
  });
});

describe('a query too costly to validate', () => {
  it('is refused, not validated for seconds: false from is_valid, an error from parse', () => {
    const schema = 'type Query { a: Query n: Int }';
    const many = `{ ${Array.from({ length: 3000 }, () => 'a { n }').join(' ')} }`;
    const started = Date.now();
    expect(call('graphql.is_valid', many, schema)).toBe(false);
    expect(() => call('graphql.parse', many, schema)).toThrow(/query too complex to validate/);
    expect(Date.now() - started).toBeLessThan(5000);
    // Under the budget the same shape validates.
    const few = `{ ${Array.from({ length: 100 }, () => 'a { n }').join(' ')} }`;
    expect(call('graphql.is_valid', few, schema)).toBe(true);
  });
});
