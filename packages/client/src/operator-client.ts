import type { LaunchToken, LaunchTokenRequest } from './api-types';
import { BearerApiClient } from './bearer-api';

/** The operator API (bearer OPERATOR_API_KEY): what the operator's backend calls to launch the platform for a user. */
export class OperatorClient extends BearerApiClient {
  protected static override readonly credential = 'OPERATOR_API_KEY';

  /** A single-use launch token for /wallet/authenticate, valid 5 minutes. */
  createLaunchToken(request: LaunchTokenRequest): Promise<LaunchToken> {
    return this.json('POST', '/operator/launch-tokens', request, 201);
  }
}
