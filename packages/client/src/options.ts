import { ConfigurationError } from './errors';

/**
 * The checks of what a client is constructed with. An unset environment variable reaches a
 * constructor as `undefined`, and Node's own failures for it (`TypeError: Invalid URL`, a RangeError
 * about `options.port`, a bearer key of "undefined" refused as UNAUTHORIZED) name neither the client
 * nor the option: these say which option is wrong and how.
 */

const BASE_URL_EXAMPLE = 'http://127.0.0.1:8080';
const PORT_MAX = 65_535;

/** How a wrong value is shown; never used for secrets, whose value is not printed. */
function shown(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (typeof value === 'string') return value === '' ? 'an empty string' : JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  return `a value of type ${typeof value}`;
}

/** The service's root as an absolute http(s) URL; requests go to its paths (`/admin/...`, `/wallet/...`). */
export function baseUrlOption(client: string, baseUrl: unknown): URL {
  const expected = `an absolute http:// or https:// URL of the service, such as ${BASE_URL_EXAMPLE}`;
  if (typeof baseUrl !== 'string' || baseUrl === '') {
    const problem = baseUrl === undefined || baseUrl === null || baseUrl === '' ? 'is missing' : 'is not a string';
    throw new ConfigurationError('baseUrl', `${client}: baseUrl ${problem} (got ${shown(baseUrl)}): give ${expected}`);
  }
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new ConfigurationError('baseUrl', `${client}: baseUrl ${shown(baseUrl)} is not a URL: give ${expected}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    // `localhost:8080` parses as the scheme `localhost:`
    throw new ConfigurationError(
      'baseUrl',
      `${client}: baseUrl ${shown(baseUrl)} does not start with http:// or https://: give ${expected}`,
    );
  }
  // the client sends its requests to the host's root: a path here would be silently dropped
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new ConfigurationError(
      'baseUrl',
      `${client}: baseUrl ${shown(baseUrl)} has a path, query or fragment, which the client would not use: give the service's root, such as ${BASE_URL_EXAMPLE}`,
    );
  }
  return url;
}

/** A credential (a bearer key, the wallet secret): a non-empty string. Its value is never printed. */
export function secretOption(client: string, option: string, value: unknown, what: string): string {
  if (typeof value === 'string' && value !== '') return value;
  const got =
    value === undefined || value === null
      ? String(value)
      : value === ''
        ? 'an empty string'
        : `a value of type ${typeof value}`;
  throw new ConfigurationError(option, `${client}: ${option} is missing (got ${got}): give ${what}`);
}

/** A TCP port: an integer from 1 to 65535 (`Number(process.env.X)` of an unset variable is NaN). */
export function portOption(client: string, value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= PORT_MAX) return value;
  throw new ConfigurationError(
    'port',
    `${client}: port must be a number from 1 to ${PORT_MAX} (got ${shown(value)}): give the service's MANAGER_PORT`,
  );
}

/** A login (a manager user's): a positive safe integer. */
export function loginOption(client: string, value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1) return value;
  throw new ConfigurationError(
    'login',
    `${client}: login must be a positive integer (got ${shown(value)}): give the manager user's login`,
  );
}

/** A host name or address: a non-empty string when given. */
export function hostOption(client: string, value: unknown): string | undefined {
  if (value === undefined || (typeof value === 'string' && value !== '')) return value;
  throw new ConfigurationError(
    'host',
    `${client}: host must be a host name or address (got ${shown(value)}); leave it out for 127.0.0.1`,
  );
}
