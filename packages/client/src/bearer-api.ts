import { expectStatus } from './http-answers';
import { HttpJsonClient, type HttpClientOptions, type HttpJsonResponse } from './http-json';
import { baseUrlOption, secretOption } from './options';

export type QueryValues = Record<string, string | number | boolean | undefined>;

/** `?name=value&...` of the values that are set ('' when none is). */
export function queryString(values: QueryValues = {}): string {
  const entries = Object.entries(values).filter(
    (entry): entry is [string, string | number | boolean] => entry[1] !== undefined,
  );
  return entries.length === 0
    ? ''
    : `?${new URLSearchParams(entries.map(([name, value]): [string, string] => [name, String(value)]))}`;
}

/**
 * An HTTP API behind a bearer key (the operator and the admin APIs): JSON requests, answers checked
 * against the status the operation declares, refusals thrown as ApiError, 5xx and lost answers as
 * UncertainOutcomeError.
 */
export abstract class BearerApiClient {
  readonly http: HttpJsonClient;
  private readonly apiKey: string;

  /** Throws a ConfigurationError, naming the option, for a missing or malformed `baseUrl` or an empty `apiKey`. */
  constructor(baseUrl: string, apiKey: string, options: HttpClientOptions = {}) {
    const client = new.target.name;
    baseUrlOption(client, baseUrl);
    this.apiKey = secretOption(client, 'apiKey', apiKey, `the API's bearer key (${new.target.credential})`);
    this.http = new HttpJsonClient(baseUrl, options);
  }

  /** The service's setting that holds the key, named when the key is missing. */
  protected static readonly credential: string = 'the bearer key';

  close(): void {
    this.http.close();
  }

  /** A JSON call; the parsed body of its `expectedStatus` answer. */
  protected async json<T>(method: string, path: string, body: unknown, expectedStatus: number): Promise<T> {
    return (await this.exchange(method, path, body === undefined ? null : JSON.stringify(body), {}, expectedStatus))
      .body as T;
  }

  /** A report answered as CSV text. */
  protected async csvReport(path: string): Promise<string> {
    return (await this.exchange('GET', path, null, {}, 200)).text;
  }

  /** A CSV upload answered with JSON. */
  protected async csvUpload<T>(path: string, csv: string): Promise<T> {
    return (await this.exchange('POST', path, csv, { 'Content-Type': 'text/csv' }, 200)).body as T;
  }

  private async exchange(
    method: string,
    path: string,
    body: string | null,
    headers: Record<string, string>,
    expectedStatus: number,
  ): Promise<HttpJsonResponse> {
    const response = await this.http.request(method, path, body, {
      Authorization: `Bearer ${this.apiKey}`,
      ...headers,
    });
    return expectStatus(response, expectedStatus, `${method} ${path.split('?')[0]}`);
  }
}
