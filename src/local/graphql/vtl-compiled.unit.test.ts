import { describe, expect, it } from 'vitest';
import type { RenderInput, RequestIdentity } from './vtl';
import { infoFor, TemplatePair } from './vtl-differential';

/**
 * The compiled VTL engine against the simulator's interpreter, construct by
 * construct: each template renders with both, for several callers and
 * inputs, several times in a row (the interpreter keeps state between
 * renders), and every outcome must be the same, quirks included.
 */

const OWNER: RequestIdentity = {
  claims: {
    sub: 'sub-1',
    'cognito:username': 'alice',
    iss: 'https://cognito-idp.us-east-1.amazonaws.com/pool',
    'cognito:groups': ['Admins', 'Editors'],
    email: 'alice@example.com',
  },
  sourceIp: '127.0.0.1',
  headers: { 'x-custom': 'yes' },
};
const STRANGER: RequestIdentity = {
  claims: { sub: 'sub-2', username: 'bob', iss: 'https://issuer' },
  sourceIp: '10.0.0.2',
  headers: {},
};
const IAM: RequestIdentity = {
  claims: {},
  sourceIp: '10.0.0.3',
  headers: {},
  iam: {
    accountId: '123456789012',
    username: 'AROAEXAMPLE:CognitoIdentityCredentials',
    userArn: 'arn:aws:sts::123456789012:assumed-role/authRole/CognitoIdentityCredentials',
    cognitoIdentityPoolId: 'us-east-1:pool',
    cognitoIdentityId: 'us-east-1:identity',
    cognitoIdentityAuthType: 'authenticated',
    cognitoIdentityAuthProvider: null,
  },
};

const EMPTY: RenderInput = { arguments: {}, stash: {} };
const FULL: RenderInput = {
  arguments: {
    input: { id: 'n-1', headline: 'Hi', owner: 'sub-1::alice', count: 2, ratio: 2.5, tags: ['a', 'b'], nil: null },
    filter: { and: [{ headline: { eq: 'Hi' } }, { or: [{ count: { gt: 1 } }] }] },
    condition: { not: { headline: { eq: 'x' } } },
    limit: 10,
    empty: '',
    zero: 0,
    list: [3, 1, 2],
    nested: [
      [1, 2],
      [3, [4, { five: 5 }]],
    ],
    odd: { 'cognito:groups': 'g', '2': 'two', ' spaced key ': true, toString: 'shadow', '1': 'one' },
  },
  stash: {
    metadata: { modelObjectKey: { id: 'n-1' } },
    conditions: [],
    authFilter: { or: [{ owner: { eq: 'x' } }] },
  },
  source: { id: 's-1', owner: 'sub-1::alice' },
  prevResult: { items: [{ id: 'a' }, { id: 'b', owner: 'sub-2' }], nextToken: null },
  result: { id: 'r-1', owner: 'sub-1::alice', version: 3, score: 1.5 },
};
const FAILED: RenderInput = {
  arguments: { input: { id: 'n-2' }, list: [], zero: 0.0, empty: 'not empty' },
  stash: { hasAuth: true, conditions: [{ id: { attributeExists: false } }] },
  result: null,
  prevResult: null,
  error: { message: 'The conditional request failed', type: 'DynamoDB:ConditionalCheckFailedException' },
};
const INPUTS = [EMPTY, FULL, FAILED];

const TEMPLATES: Record<string, string> = {
  references: [
    // biome-ignore lint/suspicious/noTemplateCurlyInString: VTL's ${…} reference, in a plain string
    '$ctx.args.input.headline|$!ctx.args.input.missing|${ctx.args.limit}|$!{ctx.args.nope}|$nope|$nope.a.b()|${nope.c}',
    '$ctx.args.input.nil|$ctx.args.empty|$ctx.args.zero|$ctx.args.input.ratio|$ctx.args.input.count',
    '$ctx.args.odd["cognito:groups"]|$ctx.args.odd.get("2")|$ctx.args.odd.toString|$ctx.args["filter"]["and"][0]',
    '$ctx.args.list[0]|$ctx.args.list.get(1)|$ctx.args.nested[1][1][1].five|$ctx.args.list.size()',
    '$util.toJson(null)',
  ].join('\n'),
  output:
    '$ctx.args.list\n$ctx.args.nested\n$ctx.args.input\n#set($e = [])\n$e\n#set($plain = {"a": [1, {"b": 2}]})\n$plain',
  getters: [
    '#set($p = $util.parseJson(\'{"address": "x", "Name": "N", "active": true, "list": [1, 2]}\'))',
    '$p.getAddress()|$p.getName()|$p.isActive()|$p.get("Address")|$p.get("name")|$p.list.get(1)|$p.list.size()',
    '$p.keySet()|$p.entrySet().size()|$p.size()',
    '$util.qr($p.put("k", "v"))$util.qr($p.setLabel("L"))$p.get("k")|$p.Label',
    '$util.toJson($p)',
  ].join('\n'),
  setNull: [
    '#set($x = 1)',
    '#set($x = $ctx.args.nothing)',
    '$x|$!x',
    '#set($y = $ctx.args.input.nil)',
    '$y',
    '#set($m = {})',
    '#set($m.a = "A")',
    '#set($m.b.c = "deep")',
    '#set($fresh.k = 2)',
    '#set($ctx.stash.viaSet = $ctx.args.input)',
    '#set($ctx.stash["bracket"] = [1, 2.5, "three", true, null])',
    '$util.toJson({"m": $m, "fresh": $fresh})',
  ].join('\n'),
  setOnNull:
    '#set($n = $ctx.args.input.nil)\n#set($z = $ctx.args.input)\n#set($z.nil.a = 1)\n#set($ctx.stash.k = 1)\n#set($n.a = 1)\n{}',
  ifTruthiness: [
    '#foreach($v in [$ctx.args.empty, $ctx.args.zero, false, true, $ctx.args.list, $ctx.args.nothing, "", 0, $util.parseJson("0")])',
    '#if($v)T#elseif(!$v)F#else?#end',
    '#end',
    '#if($ctx.args.limit > 5 && $ctx.args.limit < 20)range#end',
    '#set($expected = [3, 1, 2])',
    '#if($ctx.args.list == $expected)listEq#end #if($ctx.args.input == $ctx.args.input)mapEq#end',
    '#if("a" < "b")lt#end #if($ctx.args.limit != 10)ne#else eq#end #if($ctx.args.nothing == $nada)nulls#end',
    '#if($ctx.args.input.headline == "Hi") hi #elseif($ctx.args.input.id == "n-2") two #else other #end',
    '$util.toJson(1)',
  ].join('\n'),
  foreach: [
    '#set($out = [])',
    '#foreach($i in $ctx.args.list)',
    '#foreach($j in [1..2])',
    '$util.qr($out.add("$i.$j:$foreach.count:$foreach.index:$foreach.hasNext:$velocityCount"))',
    '#end',
    '$util.qr($out.add("outer $i $foreach.hasNext() $foreach.count"))',
    '#end',
    '#foreach($k in [3..1])$k#end #foreach($k in [$ctx.args.limit..8])$k,#end #foreach($k in $ctx.args.nothing)x#end',
    '#foreach($entry in $ctx.args.input.entrySet())$entry.key=$entry.value;#end',
    '#foreach($key in $ctx.args.input.keySet())$key,#end',
    '$i|$foreach|$velocityCount',
    '$util.toJson($out)',
  ].join('\n'),
  loopScopes: [
    '#set($toString = "mine")',
    '#set($i = "global i")',
    '#foreach($i in [1, 2])$toString,$i,#foreach($j in [3])$i$j,#end$j#end',
    '$toString|$i|$!j',
    '#foreach($i in [])x#end$toString',
  ].join('\n'),
  foreachOutputsScope: '#foreach($x in [1, 2])\n$foreach\n#end',
  foreachOverMap:
    '#foreach($v in $ctx.args.input)\n[$v]\n#end\nafter $v\n#set($mm = {"a": 1, "b": 2})\n#foreach($v in $mm)$v#end\n$v',
  breakSkipsOneItem:
    '#foreach($i in [1, 2, 3, 4])\n#if($i == 2)#break#end\n$i\n#end\n#foreach($i in [1, 2])#if($i == 2)#break#end$i#end\nend',
  breakAtTop: 'a\n#break\nb $util.qr($ctx.stash.put("after", 1))',
  returnTop: '$util.qr($ctx.stash.put("before", 1))\n#return($ctx.args.input)\n$util.qr($ctx.stash.put("after", 1))',
  returnInIf:
    'prefix\n#if($ctx.args.input)\n#return({"a": "$ctx.args.input.id", "b": $ctx.args.input.count})\n#end\n$util.toJson({})',
  returnInForeach: [
    '#foreach($item in $ctx.prev.result.items)',
    '#if($item.owner)',
    '#return($item)',
    '#end',
    '$util.qr($ctx.stash.put("seen", $item.id))',
    '#end',
    '#return',
  ].join('\n'),
  returnEmpty: '#if($ctx.stash.hasAuth)\n#return\n#end\n$util.toJson($ctx.prev.result)',
  returnPrev:
    '#if(!$util.isNull($ctx.prev.result))\n#return($ctx.prev.result)\n#end\n{"version": "2018-05-29", "payload": {}}',
  interpolation: [
    // biome-ignore lint/suspicious/noTemplateCurlyInString: VTL's ${…} reference, in a plain string
    '#set($s = "a ${ctx.args.input.id} b $ctx.args.input.headline.toUpperCase() c $!ctx.args.none d $ctx.args.none # e")',
    "#set($q = 'single $ctx.args.input.id')",
    '#set($n = "$ctx.args.limit")',
    '$util.toJson({"s": $s, "q": $q, "n": $n, "isString": $util.isString($n), "in": "#if(true)x#end"})',
  ].join('\n'),
  math: [
    '#set($a = 7)',
    '#set($b = 2)',
    '#set($f = 1.5)',
    '#set($neg = -3)',
    '#set($r = [])',
    '#set($x = $a + $b)$util.qr($r.add($x))#set($x = $a - $b)$util.qr($r.add($x))',
    '#set($x = $a * $b)$util.qr($r.add($x))#set($x = $a / $b)$util.qr($r.add($x))',
    '#set($x = $a % $b)$util.qr($r.add($x))#set($x = $f * 2)$util.qr($r.add($x))',
    '#set($x = -($a))$util.qr($r.add($x))#set($x = "x" + $a)$util.qr($r.add($x))',
    '#set($x = $ctx.args.limit + 1)$util.qr($r.add($x))#set($x = $ctx.args.input.ratio * 2)$util.qr($r.add($x))',
    '#set($x = $a > $b)$util.qr($r.add($x))#set($x = $a <= $b)$util.qr($r.add($x))',
    '#set($x = $ctx.args.nothing || "dflt")$util.qr($r.add($x))#set($x = $a && $b)$util.qr($r.add($x))',
    '#set($x = !$a)$util.qr($r.add($x))#set($x = 10 / 4)$util.qr($r.add($x))',
    '#set($x = $ctx.args.list.size() + 0)$util.qr($r.add($x))#set($x = $neg)$util.qr($r.add($x))',
    '$util.toJson($r)',
  ].join('\n'),
  utilAndErrors: [
    '$util.qr($util.appendError("soft", "Soft", {"k": 1}))',
    '#if($ctx.error)',
    '$util.error($ctx.error.message, $ctx.error.type, $ctx.result)',
    '#end',
    '#if($ctx.args.input.owner)',
    '$util.qr($ctx.stash.put("owner", $util.defaultIfNull($ctx.args.input.owner, "none")))',
    '#end',
    '$util.toJson({"isNull": $util.isNull($ctx.args.input.nil), "empty": $util.isNullOrEmpty($ctx.args.empty),',
    ' "type": $util.authType(), "list": $util.isList($ctx.args.list), "map": $util.isMap($ctx.args.input)})',
  ].join('\n'),
  unauthorized: '#if($util.authType() == "IAM Authorization")\n$util.unauthorized()\n#end\n$util.toJson({"ok": true})',
  validate: '$util.validate($util.isNull($ctx.args.input), "must not have input", "ValidationError", {"x": 1})\n{}',
  nestedError: '$util.qr($ctx.stash.put("k", $util.error("nested", "Nested")))\n{}',
  errorInLoopLeavesScope: [
    '$!item|$!foreach.count',
    '#foreach($item in $ctx.args.list)',
    '#if($item == 1)',
    '$util.error("in loop")',
    '#end',
    '#end',
    '{}',
  ].join('\n'),
  nullMethodCalls: [
    '#set($both = $ctx.args.filter.get("and"))',
    '#set($none = $ctx.args.nothing.get("and"))',
    '$util.toJson({"and": $both, "none": $none, "size": $ctx.stash.nothing.size(), "keys": $ctx.args.nothing.keySet()})',
  ].join('\n'),
  orAndNot:
    '$util.toJson({"and": $ctx.args.filter.and, "or": $ctx.stash.authFilter.or, "not": $ctx.args.condition.not})',
  oddMapKeys: [
    '#set($m = {"__proto__": 1, "constructor": 2, "1": "a", "b": 2, "0": 3, "cognito:groups": ["x"], "": "empty"})',
    '$util.toJson($m)|$m.get("constructor")|$m.containsKey("__proto__")|$m.keySet()',
  ].join('\n'),
  mapKeyForEach: '#set($m = {"forEach": 1})\n{}',
  javaCollections: [
    '#set($l = ["a", "b", "c", "d"])',
    '#set($m = {"a": 1, "b": 2})',
    '$util.qr($l.remove("zz"))$util.qr($l.remove(0))$util.qr($m.remove("a"))$util.qr($m.put("c", [1, [2]]))',
    '$util.qr($l.addAll(["e", "f"]))$util.qr($m.putAll({"d": {"e": 1}}))',
    '$util.toJson({"l": $l, "m": $m, "sub": $l.subList(0, 2), "has": $l.contains("e"), "idx": $l.indexOf("e"),',
    ' "mk": $m.containsKey("c"), "ms": $m.size(), "ls": $l.size(), "le": $l.isEmpty(), "vals": $m.values()})',
  ].join('\n'),
  numbers: '$util.toJson([1, 1.0, 2.50, -7, $ctx.args.input.count, $ctx.args.input.ratio, 12345678901234, 0.1])',
  nestedLists:
    '#set($n = [[1, 2], [3, [4, [5]]]])\n$util.toJson({"n": $n, "x": $n[1][1][1][0], "y": $ctx.args.nested[1][1]})',
  methodOnPlainObject:
    '$ctx.request.headers.toString()\n$ctx.request.headers\n$ctx.request\n$util.toJson($ctx.request)',
  wholeContext: '$util.toJson($ctx)',
  identity: [
    '$util.toJson({"sub": $ctx.identity.sub, "user": $ctx.identity.username, "claims": $ctx.identity.claims,',
    ' "groups": $ctx.identity.claims.get("cognito:groups"), "arn": $ctx.identity.userArn,',
    ' "info": $ctx.info.fieldName, "sel": $ctx.info.selectionSetList, "source": $ctx.source, "ip": $ctx.identity.sourceIp})',
  ].join('\n'),
  replaceContext:
    '#set($ctx.identity = {"sub": "forged"})\n#set($ctx.result = [1])\n$util.toJson([$ctx.identity, $ctx.result, $ctx.source.id])',
  stashReplaced: '#set($ctx.stash = {"only": 1})\n#set($ctx.args = {"new": true})\n{}',
  subscriptionFilter: [
    '#if($ctx.args.input.owner)',
    '$extensions.setSubscriptionFilter($util.transform.toSubscriptionFilter({"owner": {"eq": $ctx.args.input.owner}}))',
    '#end',
    '$util.toJson(null)',
  ].join('\n'),
  dynamodb: [
    '#set($values = $util.dynamodb.toMapValues($ctx.args.input))',
    '#set($cond = $util.transform.toDynamoDBConditionExpression($ctx.args.filter))',
    '$util.toJson({"v": $values, "c": $util.parseJson($cond), "id": $util.autoId(), "at": $util.time.nowISO8601()})',
  ].join('\n'),
  comments: '## line comment\n#* block\ncomment *#\n#[[ raw $not.a.ref #if ]]#\n$util.toJson("x")',
  notJson: 'this is not JSON $ctx.args.input.id',
  topLevelCall: '$toString()|$ctx.toString()|$util.qr()',
  strayElse: '{}\n#else\nx',
  macro: '#macro(greet $who)hi $who#end\n#greet("x")',
  stop: 'before\n#stop()\nafter',
};

const IDENTITIES = { OWNER, STRANGER, IAM };

describe('the compiled VTL engine renders as the interpreter does', () => {
  for (const [name, content] of Object.entries(TEMPLATES)) {
    it(name, () => {
      // Prepare
      const pair = new TemplatePair(content, `${name}.vtl`);
      const info = infoFor('Mutation', 'createNote', ['id', 'headline']);
      for (const [who, identity] of Object.entries(IDENTITIES)) {
        for (const [i, input] of INPUTS.entries()) {
          // Act: twice each, since the interpreter carries state from one render to the next
          for (const round of [1, 2]) {
            const { compiled, interpreter } = pair.render(input, identity, info);
            // Assess
            expect(compiled, `${who}, input ${i}, render ${round}`).toStrictEqual(interpreter);
          }
        }
      }
    });
  }

  it('compiles every construct except macros and #stop, which it leaves to the interpreter', () => {
    const fallbacks = Object.entries(TEMPLATES)
      .filter(([name, content]) => new TemplatePair(content, `${name}.vtl`).compiled.fallback)
      .map(([name]) => name);
    expect(fallbacks).toEqual(['macro', 'stop']);
  });

  it('fails on a template that does not parse with the interpreter error', () => {
    expect(() => new TemplatePair('#if($x', 'broken.vtl').compiled).toThrow(/Parse error on broken.vtl/);
    expect(() => new TemplatePair('#if($x', 'broken.vtl').interpreter).toThrow(/Parse error on broken.vtl/);
  });

  it('reproduces the interpreter quirks the local API relies on', () => {
    const info = infoFor('Mutation', 'createNote');
    const render = (content: string) => new TemplatePair(content, 'q.vtl').render(FULL, OWNER, info);
    // #break skips only the next item of the loop.
    expect(render(TEMPLATES.breakSkipsOneItem ?? '').compiled).toMatchObject({ thrown: { message: /1\n3\n4\n1end/ } });
    // #return stops the render before it evaluates its value: its strings render empty.
    expect(render(TEMPLATES.returnInIf ?? '').compiled).toMatchObject({ output: { result: 'prefix\n{"a":"","b":2}' } });
    // A failed method call names the reference and its position in the error.
    expect(render('$util.error("boom", "T")').compiled).toMatchObject({
      output: { errors: [{ message: 'boom on $util.error("boom","T") at L/N 1:0' }] },
    });
  });
});
