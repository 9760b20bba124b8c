/**
 * Statements Kysely builds and compiles once per shape; later writes reuse the SQL text (and the
 * adapter's prepared statement) with fresh parameters, so hot paths skip the query builder.
 *
 * @module
 */
import { CompiledQuery } from "kysely";
import type { DialectName } from "./dialect.ts";

const sqlByShape = new Map<string, string>();

/**
 * The statement of shape `shape` in `dialect`'s SQL bound to `parameters`. On first use `build`
 * compiles it with Kysely; its SQL is cached only if Kysely bound exactly `parameters`, in order.
 */
export function reusableStatement(
  dialect: DialectName,
  shape: string,
  parameters: readonly unknown[],
  build: () => CompiledQuery,
): CompiledQuery {
  const key = `${dialect}:${shape}`;
  const cached = sqlByShape.get(key);
  if (cached) return CompiledQuery.raw(cached, [...parameters]);
  const compiled = build();
  if (
    compiled.parameters.length !== parameters.length ||
    compiled.parameters.some((value, i) => value !== parameters[i])
  ) {
    throw new Error(`${shape}: Kysely bound parameters in an unexpected order`);
  }
  sqlByShape.set(key, compiled.sql);
  return compiled;
}
