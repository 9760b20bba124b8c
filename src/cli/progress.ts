/**
 * The commands' progress bars (`cli-progress`), as far as they use them.
 *
 * @module
 */

/** A minimal view of a `cli-progress` bar (the package ships no types). */
export interface ProgressBar {
  start(total: number, value: number, payload: Record<string, unknown>): void;
  update(value: number, payload: Record<string, unknown>): void;
  stop(): void;
}
