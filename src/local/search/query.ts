/**
 * The two query languages functions send to CloudSearch: the simple
 * parser for what users type, and the structured filter query (`fq`) that
 * restricts results (e.g. to the documents of the caller).
 */

export type Filter =
  | { op: 'term'; field: string; value: string }
  | { op: 'and' | 'or'; children: Filter[] }
  | { op: 'not'; child: Filter };

export class QueryError extends Error {
  override readonly name = 'SearchException';
}

/** Parses the structured subset `(term field=F 'v')`, `(and …)`, `(or …)`, `(not …)`. */
export const parseFilter = (input: string): Filter => {
  let pos = 0;
  const skip = (): void => {
    while (pos < input.length && /\s/.test(input[pos] ?? '')) pos += 1;
  };
  const expect = (char: string): void => {
    skip();
    if (input[pos] !== char) throw new QueryError(`Syntax error in fq at ${pos}: expected '${char}'`);
    pos += 1;
  };
  const word = (): string => {
    skip();
    const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(input.slice(pos));
    if (!match) throw new QueryError(`Syntax error in fq at ${pos}: expected a name`);
    pos += match[0].length;
    return match[0];
  };
  const literal = (): string => {
    skip();
    if (input[pos] !== "'") throw new QueryError(`Syntax error in fq at ${pos}: expected a quoted value`);
    pos += 1;
    let out = '';
    while (pos < input.length && input[pos] !== "'") {
      if (input[pos] === '\\') pos += 1;
      out += input[pos] ?? '';
      pos += 1;
    }
    if (input[pos] !== "'") throw new QueryError('Syntax error in fq: unterminated value');
    pos += 1;
    return out;
  };
  const expression = (): Filter => {
    expect('(');
    const op = word();
    let result: Filter;
    if (op === 'term') {
      const option = word();
      expect('=');
      const field = word();
      if (option !== 'field') throw new QueryError(`Unsupported term option ${option}`);
      result = { op: 'term', field, value: literal() };
    } else if (op === 'and' || op === 'or') {
      const children: Filter[] = [];
      skip();
      while (input[pos] === '(') {
        children.push(expression());
        skip();
      }
      if (children.length === 0) throw new QueryError(`(${op}) needs at least one clause`);
      result = { op, children };
    } else if (op === 'not') {
      result = { op, child: expression() };
    } else {
      throw new QueryError(`Unsupported structured operator ${op}`);
    }
    expect(')');
    return result;
  };
  const filter = expression();
  skip();
  if (pos !== input.length) throw new QueryError(`Syntax error in fq at ${pos}: unexpected text`);
  return filter;
};

export const matchesFilter = (filter: Filter, fields: Record<string, unknown>): boolean => {
  switch (filter.op) {
    case 'term': {
      const value = fields[filter.field];
      return Array.isArray(value) ? value.includes(filter.value) : value === filter.value;
    }
    case 'and':
      return filter.children.every((c) => matchesFilter(c, fields));
    case 'or':
      return filter.children.some((c) => matchesFilter(c, fields));
    case 'not':
      return !matchesFilter(filter.child, fields);
  }
};

export interface SimpleQuery {
  /** Terms that must all match (CloudSearch's default operator is and). */
  required: Array<{ text: string; prefix: boolean; phrase: boolean }>;
  /** Terms that must not match (`-term`). */
  excluded: string[];
}

/** Parses the simple parser's subset: words, "phrases", prefix*, -exclusion. */
export const parseSimple = (input: string): SimpleQuery => {
  const query: SimpleQuery = { required: [], excluded: [] };
  const tokens = input.match(/-?"[^"]*"|\S+/g) ?? [];
  for (const raw of tokens) {
    const negated = raw.startsWith('-') && raw.length > 1;
    const token = (negated ? raw.slice(1) : raw).replace(/^\+/, '');
    const phrase = token.startsWith('"') && token.endsWith('"') && token.length >= 2;
    const text = phrase ? token.slice(1, -1) : token.replace(/\*$/, '');
    if (!text.trim() || text === '|') continue;
    if (negated) query.excluded.push(text);
    else query.required.push({ text, prefix: !phrase && token.endsWith('*'), phrase });
  }
  return query;
};
