/**
 * A D1 binding that refuses, as production D1 does, a statement with more than `max` bound
 * parameters; local D1 (SQLite) allows far more, so without this a list bound one parameter per id
 * passes every local test and fails in production. Used when `D1_MAX_BOUND_PARAMETERS` is set, which
 * the test runs do (vitest.config.ts) so that every statement of the suite is held to the limit.
 */
export function withParameterLimit(d1: D1Database, max: number): D1Database {
  const key = `${max}`;
  let byMax = wrapped.get(d1);
  if (!byMax) {
    byMax = new Map();
    wrapped.set(d1, byMax);
  }
  let limited = byMax.get(key);
  if (!limited) {
    limited = limit(d1, max);
    byMax.set(key, limited);
  }
  return limited;
}

/** One wrapper per binding and limit, so that the drizzle client cached per binding is reused. */
const wrapped = new WeakMap<D1Database, Map<string, D1Database>>();

function limit(d1: D1Database, max: number): D1Database {
  const limitBind = (stmt: D1PreparedStatement): D1PreparedStatement =>
    new Proxy(stmt, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (typeof value !== "function") return value;
        if (prop !== "bind") return value.bind(target);
        // The bound statement itself goes on (not another proxy), so batch() and other wrappers see it as is.
        return (...params: unknown[]) => {
          if (params.length > max) {
            throw new Error(`too many SQL variables: ${params.length} bound parameters, D1 allows ${max}`);
          }
          return value.apply(target, params);
        };
      },
    });
  return new Proxy(d1, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (prop === "prepare") return (query: string) => limitBind(target.prepare(query));
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
