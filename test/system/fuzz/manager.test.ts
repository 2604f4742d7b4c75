import fc from 'fast-check';
import { ManagerClient } from '@wallet-service/client';
import { TestApi } from '../../support/api';
import { MANAGER_PASSWORD } from '../../support/manager';
import { startTestService, type TestService } from '../../support/test-service';
import {
  anyString,
  goodAmount,
  goodText,
  sometimes,
  isJsonObject,
  jsonValueText,
  objectText,
  ref,
  resolveRefs,
  stringText,
  type FieldSpec,
} from './arbitraries';
import {
  brief,
  fuzzHooks,
  checkProperty,
  expectUnchanged,
  LONG_MODE,
  noteOutcome,
  runsFor,
  sleep,
  snapshot,
  TcpProbe,
  timeoutFor,
} from './harness';

/**
 * Property-based fuzzing of the manager TCP API (docs/manager-api.md) over real sockets: every command with
 * arbitrary and malformed envelopes and data, random extIDs and tokens, lines split at random points
 * and sent with delays, random bytes, and frames cut short. Properties: never a 5xx-like status;
 * every complete line gets one answer (a line that is not a JSON object: a 400 and the connection
 * closes); the server only writes JSON lines; a refused command (status other than 200) changes
 * nothing; the service keeps answering. Valid finance commands run in between.
 */

const SHORT_RUNS = 20;
const FINANCE = ['BalanceIn', 'BalanceOut', 'CreditIn', 'CreditOut'] as const;
type Who = 'M' | 'N' | 'J' | 'X' | 'D';
type Role = 'MANAGER' | 'ADMIN' | 'DEALER' | 'VIEWER';
const CMD: Record<(typeof FINANCE)[number], number> = { BalanceIn: 6, BalanceOut: 8, CreditIn: 7, CreditOut: 9 };
const PING_AFTER = '{"command":"Ping","extID":"zz-ping-after"}';

let target: TestService;
let api: TestApi;
let valid: ManagerClient;
const logins = {} as Record<Who, number>;
const managers = {} as Record<Role, { login: number; token: string }>;
let unique = 0;

beforeAll(async () => {
  target = await startTestService();
  api = new TestApi(target);
  logins.M = await api.createAccount('USD');
  await api.deposit(logins.M, '100000');
  await api.balanceOperation(logins.M, 'credit', '1000');
  logins.N = await api.createAccount('USD');
  logins.J = await api.createAccount('JPY');
  await api.deposit(logins.J, '50000');
  logins.X = await api.createAccount('BTC');
  logins.D = await api.createAccount('USD');
  await api.admin('PATCH', `/admin/accounts/${logins.D}`, { status: 'disabled' });
  // every session is opened now: the Login fuzzing below gets this address throttled
  for (const role of ['MANAGER', 'ADMIN', 'DEALER', 'VIEWER'] as const) {
    const login = 600_000 + Object.keys(managers).length;
    const created = await api.admin('POST', '/admin/managers', {
      login,
      password: MANAGER_PASSWORD,
      role: `SESSION_${role}`,
    });
    expect(created.status).toBe(201);
    const client = await ManagerClient.connect(target.service.managerPort);
    const answer = await client.login(login, MANAGER_PASSWORD);
    expect(answer.status).toBe(200);
    managers[role] = { login, token: String(answer.data.token) };
    if (role === 'MANAGER') valid = client;
    else await client.close();
  }
  for (const family of FINANCE) {
    const amount = family.endsWith('Out') ? -1 : 5;
    expect(
      await valid.command(family, { login: logins.M, amount, comment: 'seed', referenceId: `seed-${family}` }),
    ).toMatchObject({ status: 200 });
  }
});
fuzzHooks(
  'manager',
  () => target,
  async () => {
    await valid.close();
    api.close();
    await target.stop();
  },
);

// ---------------------------------------------------------------------------------------------
// References resolved at send time

async function pickOrder(who: string, cmd: string, n: number): Promise<string> {
  const { rows } = await target.sql.query(
    `SELECT order_no::text FROM (
       SELECT order_no, row_number() OVER (ORDER BY order_no) - 1 AS rn, count(*) OVER () AS total FROM finance_records
        WHERE ($1::bigint IS NULL OR login = $1) AND ($2::int IS NULL OR cmd = $2)) r
      WHERE rn = $3::bigint % total`,
    [who === 'any' ? null : logins[who as Who], cmd === 'any' ? null : Number(cmd), n],
  );
  return rows[0]?.order_no ?? String(9_000_000_000 + n);
}

async function pickReference(n: number): Promise<string> {
  const { rows } = await target.sql.query(
    `SELECT key FROM (SELECT key, row_number() OVER (ORDER BY key) - 1 AS rn, count(*) OVER () AS total FROM idempotency_keys WHERE scope = 'manager') k
      WHERE rn = $1::bigint % total`,
    [n],
  );
  return rows[0]?.key ?? 'seed-BalanceIn';
}

async function resolve(name: string): Promise<string> {
  const [kind, a, b, c] = name.split(':');
  switch (kind) {
    case 'login':
      if (a === 'unknown') return String(900_000_000 + ++unique);
      if (a === 'manager') return String(managers.MANAGER.login);
      return String(logins[a as Who]);
    case 'manager':
      return String(managers[a as Role].login);
    case 'token':
      return JSON.stringify(a === 'bogus' ? 'f'.repeat(64) : managers[a as Role].token);
    case 'order':
      return pickOrder(a!, b!, Number(c));
    case 'reference':
      return JSON.stringify(a === 'fresh' ? `fz-ref-${++unique}` : await pickReference(Number(b)));
    case 'ext':
      return JSON.stringify(`fz-${++unique}`);
    default:
      throw new Error(`unknown reference ${name}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Generators

const accountLogin = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(ref('login:M'), ref('login:M'), ref('login:N'), ref('login:J'), ref('login:X')),
  },
  { weight: 2, arbitrary: fc.constantFrom(ref('login:D'), ref('login:unknown'), ref('login:manager')) },
);
const token = fc.oneof(
  { weight: 8, arbitrary: fc.constant(ref('token:MANAGER')) },
  {
    weight: 4,
    arbitrary: fc.constantFrom(ref('token:ADMIN'), ref('token:DEALER'), ref('token:VIEWER'), ref('token:bogus')),
  },
  { weight: 1, arbitrary: stringText },
);
const extID = fc.oneof(
  { weight: 4, arbitrary: fc.constant(ref('ext:fresh')) },
  { weight: 2, arbitrary: goodText },
  { weight: 1, arbitrary: stringText },
);
const unixSeconds = fc.oneof(
  fc.integer({ min: 0, max: 2_000_000_000 }).map(String),
  fc.constantFrom('0', '9223372036854775807', '1795303455'),
);
/** An existing order: of a login and cmd (an update when they match the command's), or any. */
function orderOf(cmd: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom('M', 'M', 'N', 'J', 'any'), cmd, fc.nat(1000))
    .map(([who, code, n]) => ref(`order:${who}:${code}:${n}`));
}
const order = orderOf(fc.constantFrom('6', '7', '8', '9', 'any'));

function financeData(family: (typeof FINANCE)[number]): fc.Arbitrary<string> {
  const amount = family.endsWith('Out')
    ? goodAmount(20_000).map((text) => (text.startsWith('"') ? `"-${text.slice(1)}` : `-${text}`))
    : goodAmount(1_000_000);
  const fields: FieldSpec[] = [
    { name: 'login', good: accountLogin },
    { name: 'amount', good: amount },
    {
      name: 'comment',
      good: fc.oneof(fc.constantFrom('"Payment gateway deposit"', '"bonus"'), goodText),
      optional: family !== 'CreditIn',
    },
    {
      name: 'order',
      good: orderOf(
        fc.oneof(
          { weight: 3, arbitrary: fc.constant(String(CMD[family])) },
          { weight: 1, arbitrary: fc.constantFrom('6', '7', '8', '9', 'any') },
        ),
      ),
      optional: true,
    },
    { name: 'open_time', good: unixSeconds, optional: true },
    { name: 'close_time', good: unixSeconds, optional: true },
    {
      name: 'referenceId',
      good: fc.oneof(
        fc.constant(ref('reference:fresh')),
        fc.nat().map((n) => ref(`reference:old:${n}`)),
      ),
      optional: true,
    },
  ];
  return objectText(fields);
}

const DATA: Record<string, fc.Arbitrary<string>> = {
  Ping: fc.oneof(fc.constant('{}'), jsonValueText),
  Subscribe: objectText([
    {
      name: 'channels',
      good: fc.constantFrom('["trade:event"]', '["trade:event","trade:event"]', '[]', '["order:event"]'),
      optional: true,
    },
    { name: 'chanels', good: fc.constantFrom('["trade:event"]'), optional: true },
  ]),
  GetFinanceRecord: objectText([{ name: 'order', good: order }]),
  GetTransactionsByLogin: objectText([
    { name: 'login', good: accountLogin },
    { name: 'from', good: unixSeconds, optional: true },
    { name: 'to', good: unixSeconds, optional: true },
  ]),
  Login: objectText([
    { name: 'login', good: fc.oneof(fc.constantFrom(ref('manager:MANAGER'), ref('manager:VIEWER')), accountLogin) },
    { name: 'password', good: fc.oneof(fc.constant(JSON.stringify(MANAGER_PASSWORD)), stringText) },
  ]),
};
for (const family of FINANCE) {
  DATA[family] = financeData(family);
  DATA[`${family}Sync`] = financeData(family);
}

const COMMANDS = Object.keys(DATA);

/** A request line (no line break inside): the envelope with the command's data, good or damaged. */
function requestLine(
  command: fc.Arbitrary<string>,
  data: fc.Arbitrary<string>,
  dataOptional = false,
): fc.Arbitrary<string | Buffer> {
  const envelope = objectText(
    [
      { name: 'command', good: command },
      { name: 'extID', good: extID },
      { name: 'data', good: data, optional: dataOptional },
      { name: '__token', good: token },
    ],
    { goodWeight: 14, allGoodWeight: 3 },
  );
  const damaged = fc.oneof(
    { weight: 40, arbitrary: envelope },
    { weight: 1, arbitrary: fc.tuple(envelope, fc.nat()).map(([line, cut]) => line.slice(0, cut % (line.length + 1))) },
    { weight: 1, arbitrary: envelope.map((line) => `[${line}]`) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(envelope, fc.nat(), fc.constantFrom([0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xe2, 0x82]))
        .map(([line, at, bytes]) => {
          const raw = Buffer.from(line);
          const cut = at % (raw.length + 1);
          return Buffer.concat([raw.subarray(0, cut), Buffer.from(bytes), raw.subarray(cut)]);
        }),
    },
    { weight: 1, arbitrary: fc.json({ maxDepth: 2 }) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 120 }).map((bytes) => Buffer.from(bytes)) },
  );
  // a raw line break would make two messages: framing has its own properties below
  return damaged.map((line) =>
    Buffer.isBuffer(line)
      ? Buffer.from(line.map((byte) => (byte === 10 || byte === 13 ? 32 : byte)))
      : line.replace(/[\r\n]/g, ' '),
  );
}

const validStep = fc.record({
  command: fc.constantFrom(
    'BalanceIn',
    'BalanceInSync',
    'BalanceOut',
    'CreditIn',
    'CreditOutSync',
    'update',
    'GetFinanceRecord',
  ),
  who: fc.constantFrom<Who>('M', 'M', 'N', 'J'),
  amount: fc.integer({ min: 1, max: 50_000 }),
  reference: fc.boolean(),
  pick: fc.nat(1000),
});
type ValidStep = typeof validStep extends fc.Arbitrary<infer T> ? T : never;

async function runValid(step: ValidStep): Promise<void> {
  const login = logins[step.who];
  const amount = step.who === 'J' ? step.amount : step.amount / 100;
  let answer;
  if (step.command === 'GetFinanceRecord') {
    answer = await valid.command('GetFinanceRecord', { order: Number(await pickOrder('any', 'any', step.pick)) });
  } else if (step.command === 'update') {
    const orderNo = Number(await pickOrder(step.who, '6', step.pick));
    answer = await valid.command('BalanceIn', { login, amount, order: orderNo, comment: 'update' });
  } else {
    const signed = step.command.startsWith('BalanceOut') || step.command.startsWith('CreditOut') ? -amount : amount;
    answer = await valid.command(step.command, {
      login,
      amount: signed,
      comment: 'valid step',
      ...(step.reference ? { referenceId: `fz-ref-${++unique}` } : {}),
    });
  }
  const fine =
    answer.status === 200 ||
    (answer.status === 400 && answer.data.error === 'NOT_ENOUGH_MONEY') ||
    (step.command === 'update' && answer.status === 400);
  if (!fine) throw new Error(`valid step ${JSON.stringify(step)} answered ${JSON.stringify(answer)}`);
}

/** Every answer of the server is a JSON line with a status below 500. */
function checkAnswers(probe: TcpProbe, context: unknown): void {
  if (probe.badLines.length > 0)
    throw new Error(`the server wrote lines that are not JSON: ${brief(probe.badLines)} for ${brief(context)}`);
  const failed = probe.answers.filter((answer) => typeof answer.status !== 'number' || answer.status >= 500);
  if (failed.length > 0) throw new Error(`5xx-like answers ${brief(failed)} for ${brief(context)}`);
}

/**
 * Sends one line and a Ping after it on a fresh connection. A line that is a JSON object gets one
 * answer and the connection stays open; any other non-empty line gets a 400 with extID null and
 * the connection closes; an empty line is ignored.
 */
async function sendLine(
  line: string | Buffer,
  eol: string,
): Promise<{ probe: TcpProbe; answer: ReturnType<TcpProbe['answers']['find']> }> {
  const probe = await TcpProbe.open(target.service.managerPort);
  const bytes = Buffer.concat([Buffer.from(line), Buffer.from(`${eol}${PING_AFTER}\r\n`)]);
  probe.write(bytes);
  const empty = Buffer.from(line).length === 0;
  const object = isJsonObject(line);
  await probe.waitForAnswers(empty || !object ? 1 : 2, 15_000);
  if (!object && !empty) await probe.closedWithin(2000);
  const context = { line, eol, answers: probe.answers, closed: probe.closed };
  checkAnswers(probe, context);
  const ping = probe.answers.find((answer) => answer.extID === 'zz-ping-after');
  const answer = probe.answers.find((item) => item !== ping);
  if (empty) {
    if (ping?.status !== 200 || probe.answers.length !== 1)
      throw new Error(`an empty line was not ignored: ${brief(context)}`);
  } else if (object) {
    if (!answer || ping?.status !== 200 || probe.answers.length !== 2 || probe.closed)
      throw new Error(`a JSON object line did not get exactly one answer: ${brief(context)}`);
  } else if (!(probe.answers.length === 1 && answer?.status === 400 && answer.extID === null && probe.closed)) {
    throw new Error(`a line that is not a JSON object did not get a 400 and a close: ${brief(context)}`);
  }
  if (process.env.FUZZ_DEBUG) console.log(String(line).slice(0, 300), JSON.stringify(answer));
  noteOutcome(
    answer ? `${answer.status}${typeof answer.data?.error === 'string' ? ` ${answer.data.error}` : ''}` : 'no answer',
  );
  probe.destroy();
  return { probe, answer };
}

describe.each(COMMANDS.filter((command) => command !== 'Login'))('manager command %s', (command) => {
  it(
    'never answers 5xx; one answer per line; a refusal changes nothing',
    async () => {
      const property = fc.asyncProperty(
        sometimes(validStep, 0.4),
        requestLine(
          fc.oneof(
            { weight: 12, arbitrary: fc.constant(JSON.stringify(command)) },
            { weight: 1, arbitrary: stringText },
          ),
          DATA[command]!,
          command === 'Ping',
        ),
        fc.constantFrom('\r\n', '\r\n', '\n'),
        async (step, generated, eol) => {
          if (step) await runValid(step);
          const line = await resolveRefs(generated, resolve);
          const before = await snapshot(target.sql);
          const { answer } = await sendLine(line, eol);
          if (answer && answer.status !== 200)
            expectUnchanged(before, await snapshot(target.sql), answer.status === 409, { line, answer });
          if (!answer) expectUnchanged(before, await snapshot(target.sql), false, { line });
        },
      );
      await checkProperty(`manager ${command}`, property, SHORT_RUNS);
    },
    timeoutFor(SHORT_RUNS),
  );
});

describe('manager envelopes', () => {
  it(
    'any command name, any data, any extID and token: never 5xx, one answer per line, refusals change nothing',
    async () => {
      const anyCommand = fc.oneof(
        fc.constantFrom(
          ...COMMANDS.map((name) => JSON.stringify(name)),
          '"ping"',
          '"PING"',
          '"Ping "',
          '"MngOpenTradeSync"',
          '"__proto__"',
          '"constructor"',
          '"toString"',
        ),
        stringText,
      );
      const anyData = fc.oneof(
        fc.constantFrom(...Object.values(DATA)).chain((data) => data),
        jsonValueText,
      );
      const property = fc.asyncProperty(requestLine(anyCommand, anyData, true), async (generated) => {
        const line = await resolveRefs(generated, resolve);
        const before = await snapshot(target.sql);
        const { answer } = await sendLine(line, '\r\n');
        if (!answer || answer.status !== 200)
          expectUnchanged(before, await snapshot(target.sql), answer?.status === 409, { line, answer });
      });
      await checkProperty('manager envelopes', property, SHORT_RUNS);
    },
    timeoutFor(SHORT_RUNS),
  );
});

describe('manager Login', () => {
  // Every failed Login is answered 500 ms late (and this address is soon throttled), so a case is a
  // batch of 8 to 16 concurrent Logins on one connection; the run count is divided accordingly.
  const BATCH_MIN = 8;
  it(
    'never answers 5xx, changes nothing, and lets in only the right password',
    async () => {
      const property = fc.asyncProperty(
        fc.array(DATA.Login!, { minLength: BATCH_MIN, maxLength: 16 }),
        async (generated) => {
          const datas = await Promise.all(generated.map((data) => resolveRefs(data, resolve)));
          const lines = datas.map(
            (data, index) => `{"command":"Login","extID":"login-${index}","data":${data.replace(/[\r\n]/g, ' ')}}`,
          );
          const before = await snapshot(target.sql);
          // one connection each, all at once: a line that is not JSON closes its connection
          const probes = await Promise.all(lines.map(() => TcpProbe.open(target.service.managerPort)));
          probes.forEach((probe, index) => probe.write(`${lines[index]}\r\n`));
          await Promise.all(probes.map((probe) => probe.waitForAnswers(1, 20_000)));
          const context = { lines, answers: probes.map((probe) => probe.answers) };
          for (const [index, probe] of probes.entries()) {
            checkAnswers(probe, context);
            const answer = probe.answers[0];
            if (probe.answers.length !== 1 || !answer) throw new Error(`not one answer per Login: ${brief(context)}`);
            if (!isJsonObject(lines[index]!)) {
              if (answer.status !== 400 || answer.extID !== null)
                throw new Error(`a Login line that is not JSON was answered ${brief(answer)}: ${brief(context)}`);
            } else if (![200, 400, 401, 429].includes(answer.status)) {
              throw new Error(`Login answered ${answer.status}: ${brief(context)}`);
            }
            noteOutcome(answer.status);
            if (answer.status === 200 && !datas[index]!.includes(JSON.stringify(MANAGER_PASSWORD)))
              throw new Error(`a wrong password was let in: ${brief(context)}`);
            probe.destroy();
          }
          expectUnchanged(before, await snapshot(target.sql), false, context);
        },
      );
      // long mode: FUZZ_RUNS Logins at least (FUZZ_RUNS / 8 batches); short mode: 1 batch
      await checkProperty(
        'manager Login (batches of 8-16)',
        property,
        1,
        LONG_MODE ? Math.ceil(runsFor(6) / BATCH_MIN) : undefined,
      );
    },
    timeoutFor(6, 200),
  );
});

describe('manager framing', () => {
  const wellFormed = fc.oneof(
    fc.constant({ kind: 'Ping', line: '{"command":"Ping","extID":"EXT"}' }),
    fc.nat().map((n) => ({
      kind: 'GetFinanceRecord',
      line: `{"command":"GetFinanceRecord","extID":"EXT","__token":${ref('token:VIEWER')},"data":{"order":${ref(`order:any:any:${n}`)}}}`,
    })),
    fc.integer({ min: 1, max: 10_000 }).map((cents) => ({
      kind: 'BalanceIn',
      line: `{"command":"BalanceIn","extID":"EXT","__token":${ref('token:MANAGER')},"data":{"login":${ref('login:N')},"amount":${(cents / 100).toFixed(2)}}}`,
    })),
    fc.constant({
      kind: 'GetTransactionsByLogin',
      line: `{"command":"GetTransactionsByLogin","extID":"EXT","__token":${ref('token:DEALER')},"data":{"login":${ref('login:M')}}}`,
    }),
    fc.constant({
      kind: 'Subscribe',
      line: `{"command":"Subscribe","extID":"EXT","__token":${ref('token:VIEWER')},"data":{"chanels":["trade:event"]}}`,
    }),
  );

  it(
    'lines split at random points and sent with delays get the same answers as whole lines',
    async () => {
      const property = fc.asyncProperty(
        fc.array(fc.tuple(wellFormed, fc.constantFrom('\r\n', '\n', '\r\n\r\n', '\n\n')), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 8 }),
        async (items, cuts, delays) => {
          const lines = await Promise.all(
            items.map(
              async ([item, eol], index) =>
                `${await resolveRefs(item.line.replace('EXT', `split-${index}`), resolve)}${eol}`,
            ),
          );
          const bytes = Buffer.from(lines.join(''));
          const points = [...new Set(cuts.map((cut) => cut % bytes.length))].sort((a, b) => a - b);
          const probe = await TcpProbe.open(target.service.managerPort);
          let start = 0;
          for (const [index, point] of [...points, bytes.length].entries()) {
            probe.write(bytes.subarray(start, point));
            start = point;
            if (delays[index]) await sleep(delays[index]!);
          }
          await probe.waitForAnswers(items.length, 15_000);
          await sleep(5);
          const context = { lines, points, answers: probe.answers };
          checkAnswers(probe, context);
          const extIDs = probe.answers.map((answer) => answer.extID).sort();
          const expected = items.map((_item, index) => `split-${index}`).sort();
          if (
            JSON.stringify(extIDs) !== JSON.stringify(expected) ||
            probe.answers.some((answer) => answer.status !== 200) ||
            probe.closed
          ) {
            throw new Error(`a split line was not answered like a whole one: ${brief(context)}`);
          }
          probe.destroy();
        },
      );
      await checkProperty('manager framing: split lines', property, SHORT_RUNS);
    },
    timeoutFor(SHORT_RUNS),
  );

  it(
    'random bytes never get a 5xx, change nothing, and leave the connection answering or closed after a 400',
    async () => {
      const noise = fc.oneof(
        { weight: 6, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => Buffer.from(bytes)) },
        {
          weight: 2,
          arbitrary: fc
            .string({
              unit: fc.constantFrom('{', '}', '"', ':', ',', '[', ']', '\r', '\n', ' ', 'a', '1', '\\', '\u0000'),
              maxLength: 60,
            })
            .map((text) => Buffer.from(text)),
        },
        {
          weight: 1,
          arbitrary: fc
            .tuple(fc.integer({ min: 60_000, max: 70_000 }), fc.constantFrom(0x20, 0x7b, 0x41))
            .map(([length, byte]) => Buffer.alloc(length, byte)),
        },
        { weight: 1, arbitrary: anyString.map((text) => Buffer.from(`{"command":${JSON.stringify(text)}`)) },
      );
      const property = fc.asyncProperty(noise, async (bytes) => {
        const before = await snapshot(target.sql);
        const probe = await TcpProbe.open(target.service.managerPort);
        probe.write(bytes);
        probe.write(`\r\n${PING_AFTER}\r\n`);
        const deadline = Date.now() + 15_000;
        while (
          !probe.closed &&
          !probe.answers.some((answer) => answer.extID === 'zz-ping-after') &&
          Date.now() < deadline
        )
          await probe.waitForAnswers(probe.answers.length + 1, 200);
        const context = { bytes, answers: probe.answers, closed: probe.closed };
        checkAnswers(probe, context);
        const ping = probe.answers.find((answer) => answer.extID === 'zz-ping-after');
        noteOutcome(ping ? 'answered' : 'closed');
        if (
          ping
            ? ping.status !== 200
            : !(probe.closed && probe.answers.some((answer) => answer.status === 400 && answer.extID === null))
        ) {
          throw new Error(
            `after random bytes the connection neither answered nor closed with a 400: ${brief(context)}`,
          );
        }
        probe.destroy();
        expectUnchanged(before, await snapshot(target.sql), false, context);
      });
      await checkProperty('manager framing: random bytes', property, SHORT_RUNS);
    },
    timeoutFor(SHORT_RUNS),
  );

  it(
    'a frame cut short (no line end) and a connection closed or reset is never executed',
    async () => {
      const property = fc.asyncProperty(
        wellFormed,
        fc.nat(),
        fc.constantFrom('end', 'destroy', 'wait-then-end'),
        async (item, cut, finish) => {
          const line = await resolveRefs(item.line.replace('EXT', 'cut'), resolve);
          const prefix = Buffer.from(line).subarray(0, cut % Buffer.byteLength(line));
          const before = await snapshot(target.sql);
          const probe = await TcpProbe.open(target.service.managerPort);
          probe.write(prefix);
          await sleep(finish === 'wait-then-end' ? 30 : 2);
          if (finish === 'destroy') probe.destroy();
          else probe.socket.end();
          await probe.closedWithin(2000);
          await sleep(10);
          const context = { line, prefix: prefix.toString('utf8'), finish, answers: probe.answers };
          checkAnswers(probe, context);
          if (probe.answers.some((answer) => answer.extID === 'cut'))
            throw new Error(`a cut frame was executed: ${brief(context)}`);
          expectUnchanged(before, await snapshot(target.sql), false, context);
        },
      );
      await checkProperty('manager framing: frames cut short', property, SHORT_RUNS);
    },
    timeoutFor(SHORT_RUNS),
  );
});
