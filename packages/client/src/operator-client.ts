import type { LaunchToken } from './api-types';
import { BearerApiClient } from './bearer-api';

/** The operator API (bearer OPERATOR_API_KEY): what the operator's backend calls to launch the platform for a user. */
export class OperatorClient extends BearerApiClient {
  /** A single-use launch token for /wallet/authenticate, valid 5 minutes. */
  createLaunchToken(login: number): Promise<LaunchToken> {
    return this.json('POST', '/operator/launch-tokens', { login }, 201);
  }
}
