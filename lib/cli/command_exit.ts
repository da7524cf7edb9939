/**
 * How a command's steps end it early: a step throws a {@link CommandExit} with the exit code and
 * the message, and the command's `main` prints it once, with the command's prefix. Keeps each
 * step small instead of one `main` full of `return 2`.
 * @module
 */

/** A step that ends the command: `code` and a one-line message for stderr. */
export class CommandExit extends Error {
  override name = "CommandExit";
  constructor(readonly code: number, message: string) {
    super(message);
  }
}
