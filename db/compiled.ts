/**
 * Statements Kysely builds and compiles once per shape; later writes reuse the SQL text (and the
 * adapter's prepared statement) with fresh parameters, so hot paths skip the query builder.
 *
 * @module
 */
import { CompiledQuery } from "kysely";

const sqlByShape = new Map<string, string>();

/**
 * The statement of shape `shape` bound to `parameters`. On first use `build` compiles it with
 * Kysely; its SQL is cached only if Kysely bound exactly `parameters`, in that order.
 */
export function reusableStatement(
  shape: string,
  parameters: readonly unknown[],
  build: () => CompiledQuery,
): CompiledQuery {
  const cached = sqlByShape.get(shape);
  if (cached) return CompiledQuery.raw(cached, [...parameters]);
  const compiled = build();
  if (
    compiled.parameters.length !== parameters.length ||
    compiled.parameters.some((value, i) => value !== parameters[i])
  ) {
    throw new Error(`${shape}: Kysely bound parameters in an unexpected order`);
  }
  sqlByShape.set(shape, compiled.sql);
  return compiled;
}
