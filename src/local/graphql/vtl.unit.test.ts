import type { GraphQLResolveInfo } from 'graphql';
import { describe, expect, it } from 'vitest';
import { type RequestIdentity, Vtl } from './vtl';

const IDENTITY: RequestIdentity = {
  claims: { sub: 'sub-1', 'cognito:username': 'alice', iss: 'https://issuer', 'cognito:groups': ['Admins'] },
  sourceIp: '127.0.0.1',
  headers: {},
};
const INFO = {
  fieldName: 'createNote',
  path: { key: 'createNote', prev: undefined },
  parentType: { name: 'Mutation' },
  variableValues: {},
  fieldNodes: [],
  operation: { selectionSet: { selections: [] } },
} as unknown as GraphQLResolveInfo;

const render = (template: string, input: Partial<Parameters<Vtl['render']>[0]> = {}) =>
  new Vtl(template, 'test.vtl').render({ arguments: {}, stash: {}, ...input }, IDENTITY, INFO);

describe('the VTL engine, as patched for speed', () => {
  it('maps nested arguments, the stash and the identity into the template and back out unchanged', () => {
    const input = {
      id: 'n1',
      tags: ['a', 'b'],
      nested: { '2': 'two', b: { deep: [1, 2.5, { x: null }] }, '1': 'one', a: true },
    };
    const output = render(
      '#set($ctx.stash.seen = $ctx.args.nested.b.deep.size())\n' +
        '$util.qr($ctx.stash.put("owner", "$ctx.identity.sub::$ctx.identity.username"))\n' +
        '$util.toJson({"args": $ctx.args, "groups": $ctx.identity.claims.get("cognito:groups")})',
      { arguments: input, stash: { existing: { k: 'v' } } },
    );
    expect(output.hadException).toBe(false);
    expect(output.result).toEqual({ args: input, groups: ['Admins'] });
    expect(JSON.stringify((output.result as { args: unknown }).args)).toBe(JSON.stringify(input));
    expect(output.stash).toEqual({ existing: { k: 'v' }, seen: 3, owner: 'sub-1::alice' });
    expect(output.args).toEqual(input);
  });

  it('keeps $util errors per render: appendError, error and unauthorized each land in their own render', () => {
    const appended = render('$util.qr($util.appendError("first", "Custom"))\n$util.toJson({"ok": true})');
    expect(appended.result).toEqual({ ok: true });
    expect(appended.errors.map((e) => [e.message, e.errorType])).toEqual([['first', 'Custom']]);

    const clean = render('$util.toJson({"isNull": $util.isNullOrEmpty($ctx.args.missing), "type": $util.authType()})');
    expect(clean.errors).toEqual([]);
    expect(clean.result).toEqual({ isNull: true, type: 'User Pool Authorization' });

    const failed = render('$util.unauthorized()');
    expect(failed.hadException).toBe(true);
    expect(failed.errors).toHaveLength(1);
    expect(failed.errors[0]?.message).toMatch(/^Unauthorized/);
    // The first render's error did not leak into the shared $util.
    expect(render('$util.toJson(1)').errors).toEqual([]);
  });

  it("renders a one-argument put as AppSync's Velocity does: null, and the template goes on", () => {
    // The owner-list field template of `allow.ownersDefinedIn(...)` calls put on a list.
    const output = render(
      '#set($names = [])\n#foreach($e in $ctx.source.editors)$util.qr($names.add($e.split("::")[1]))#end\n' +
        '$util.qr($ctx.source.editors.put($names))\n$util.toJson($names)',
      { source: { editors: ['s1::ann', 's2::bo'] } },
    );
    expect(output.hadException).toBe(false);
    expect(output.result).toEqual(['ann', 'bo']);
  });

  it('gives each render its own time and ids', () => {
    const a = render('$util.toJson({"id": $util.autoId(), "at": $util.time.nowISO8601()})').result as Record<
      string,
      string
    >;
    const b = render('$util.toJson({"id": $util.autoId()})').result as Record<string, string>;
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.id).not.toBe(b.id);
    expect(Date.parse(a.at ?? '')).toBeGreaterThan(Date.now() - 60_000);
  });

  it('records a subscription filter per render, and none for a render that sets none', () => {
    const template = new Vtl(
      '#if($ctx.args.owner)\n$extensions.setSubscriptionFilter($util.transform.toSubscriptionFilter({"owner": {"eq": $ctx.args.owner}}))\n#end\n$util.toJson(null)',
      'filter.vtl',
    );
    const withFilter = template.render({ arguments: { owner: 'sub-1' }, stash: {} }, IDENTITY, INFO);
    expect(withFilter.subscriptionFilter).toEqual({ owner: { eq: 'sub-1' } });
    const without = template.render({ arguments: {}, stash: {} }, IDENTITY, INFO);
    expect(without.subscriptionFilter).toBeUndefined();
  });

  it('builds lists with the Java methods, and evaluates an interpolated string afresh each time', () => {
    const template = new Vtl(
      '#set($out = [])\n#set($none = [])\n' +
        '#foreach($x in $ctx.args.values)\n' +
        '#set($label = "v/$x/$ctx.identity.sub")\n' +
        '$util.qr($out.add($label))\n' +
        '#end\n' +
        '$util.toJson({"out": $out, "size": $out.size(), "has": $out.contains("v/2/sub-1"), "empty": $none.isEmpty(),' +
        ' "isList": $util.isList($out)})',
      'lists.vtl',
    );
    const first = template.render({ arguments: { values: [1, 2, 3] }, stash: {} }, IDENTITY, INFO);
    expect(first.result).toEqual({
      out: ['v/1/sub-1', 'v/2/sub-1', 'v/3/sub-1'],
      size: 3,
      has: true,
      empty: true,
      isList: true,
    });
    const second = template.render({ arguments: { values: [7] }, stash: {} }, IDENTITY, INFO);
    expect((second.result as { out: string[] }).out).toEqual(['v/7/sub-1']);
  });
});
