/**
 * Reading a child process's start-up line: what the standalone API and a simulator run as a
 * separate process print once they listen.
 *
 * @module
 */

/**
 * Reads `child`'s stdout until `pattern` matches what it printed, then keeps draining it in the
 * background (a full pipe would block the child). Resolves with the match, or null when the
 * output ended first, with everything printed.
 */
export async function readUntil(
  child: Deno.ChildProcess,
  pattern: RegExp,
): Promise<{ readonly match: RegExpExecArray | null; readonly printed: string }> {
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let printed = "";
  let match: RegExpExecArray | null = null;
  while (!(match = pattern.exec(printed))) {
    const { done, value } = await reader.read();
    if (done) break;
    printed += value;
  }
  (async () => {
    while (!(await reader.read()).done);
  })();
  return { match, printed };
}
