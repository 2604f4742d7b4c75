/**
 * The SQL engines answer outcome codes (OK, INSUFFICIENT_FUNDS, ...). Each engine's codes are
 * declared once on the TypeScript side as a list; every answer is checked against it, so that a code
 * the code does not know is an assertion failure naming it, never a silent wrong answer.
 */
export function knownOutcome<T extends string>(known: readonly T[], value: string, engine: string): T {
  if (!(known as readonly string[]).includes(value))
    throw new Error(`${engine} answered an unknown outcome ${JSON.stringify(value)}`);
  return value as T;
}

/** For the `default` of a switch over outcomes: the type checker proves it unreachable. */
export function unreachableOutcome(value: never): never {
  throw new Error(`unhandled outcome ${JSON.stringify(value)}`);
}
