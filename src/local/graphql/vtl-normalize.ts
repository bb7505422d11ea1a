/**
 * AppSync's Velocity reads `$x.or` as the property `or`; the simulator's parser
 * takes `or`, `and` and `not` for operators there. The generated resolvers
 * read `$ctx.args.filter.and` and `$ctx.stash.authFilter.or`, so such reads
 * become index reads (`$x["or"]`), which mean the same, null base included.
 * Assignments (`#set( $x.or = … )`) are left alone.
 */
export const normalize = (content: string): string =>
  content.replace(/(\$[\w.]*\w)\.(or|and|not)(?=[\s)\],}])(?!\s*=[^=])/g, '$1["$2"]');
