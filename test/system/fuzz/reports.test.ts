import { describeEndpoints, setUpBackOffice } from './back-office';

/**
 * Property-based fuzzing of the admin API's read side over real sockets: an account, its history
 * and statement, and the reconciliation endpoints (checks, daily totals, ledger export, matching
 * an uploaded CSV). These read the whole ledger, so they run on their own service and database,
 * seeded with valid operations, and fewer valid operations run between the cases. Properties: never
 * a 5xx; a refused request (4xx) changes nothing; a request without the admin key is 401.
 */

setUpBackOffice('reports', 60);
describeEndpoints(
  [
    'GET /admin/accounts/:login',
    'GET /admin/accounts/:login/transactions',
    'GET /admin/accounts/:login/statement',
    'GET /admin/reconciliation',
    'GET /admin/reports/daily-totals',
    'GET /admin/ledger/export',
    'POST /admin/reconciliation/match',
  ],
  0.1,
);
