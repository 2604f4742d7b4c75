import { StartupError } from './errors';

/** What a start-up failure is told against: the ports asked for and the database tried. */
export interface StartupContext {
  httpPort?: number;
  managerPort?: number;
  /** The database tried, and the setting that named it (DATABASE_URL, or the embedded server). */
  database?: { url: string; setting: string };
}

/** PostgreSQL's SQLSTATEs of a refused connection, told as what to check. */
const POSTGRES_REFUSALS: Record<string, string> = {
  '28P01': 'the password was refused',
  '28000': 'the user may not log in (pg_hba.conf or role)',
  '3D000': 'the database does not exist (create it, or fix the name in the URL)',
  '42501': 'the user lacks a privilege the migrations need',
  '53300': 'the server has no connection slot left (max_connections)',
  '57P03': 'the server is starting up or shutting down',
};

/** Network failures of a connection, told as what to check. */
const NETWORK_FAILURES: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is PostgreSQL running there, on that port?)',
  ENOTFOUND: 'unknown host name',
  EAI_AGAIN: 'the host name could not be resolved now',
  ETIMEDOUT: 'the connection timed out',
  EHOSTUNREACH: 'no route to the host',
  ECONNRESET: 'the server closed the connection',
};

/**
 * One line for the operator when the service, the CLI or the migrate command cannot start: what is
 * wrong and which setting to fix. Undefined for a failure that is not a known misconfiguration
 * (a bug), which the caller prints with its stack.
 */
export function describeStartupFailure(error: unknown, context: StartupContext): string | undefined {
  if (error instanceof StartupError) return error.message;
  const failure = error as { code?: string; port?: number; address?: string; message?: string };
  const listening = listenFailure(failure, context);
  if (listening) return listening;
  if (!context.database) return undefined;
  const reason =
    (failure.code && (POSTGRES_REFUSALS[failure.code] ?? NETWORK_FAILURES[failure.code])) ?? timeoutReason(failure);
  if (!reason) return undefined;
  return `cannot use PostgreSQL at ${describeUrl(context.database.url)} (${context.database.setting}): ${reason}`;
}

function listenFailure(
  failure: { code?: string; port?: number; address?: string },
  context: StartupContext,
): string | undefined {
  if (failure.port === undefined || !['EADDRINUSE', 'EACCES', 'EADDRNOTAVAIL'].includes(failure.code ?? ''))
    return undefined;
  const setting = failure.port === context.managerPort ? 'MANAGER_PORT' : 'PORT';
  if (failure.code === 'EADDRINUSE')
    return `port ${failure.port} (${setting}) is in use by another process: stop it, or set ${setting} to a free port`;
  if (failure.code === 'EACCES')
    return `port ${failure.port} (${setting}) needs privileges this process lacks: use a port above 1023, or a proxy in front`;
  return `HOST ${failure.address} is not an address of this machine: set HOST to one of its addresses (0.0.0.0 for all)`;
}

/** knex reports a pool that never got a connection as a timeout, naming no cause. */
function timeoutReason(failure: { message?: string }): string | undefined {
  return failure.message?.startsWith('Timeout acquiring a connection')
    ? 'no connection within the timeout (is the server reachable?)'
    : undefined;
}

/** host:port/database of a URL, never its password. */
function describeUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || '5432'}${parsed.pathname}`;
}
