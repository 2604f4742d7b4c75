import { ASYNCAPI_DOCUMENT } from '../../../src/transports/manager-api/asyncapi';
import { MANAGER_COMMANDS, managerCommand } from '../../../src/transports/manager-api/manager-commands';

/**
 * The manager API's command table (src/transports/manager-api/manager-commands.ts), read as data:
 * every command the AsyncAPI document describes has exactly one row, and every Sync row is its
 * plain row's twin (the same schema and permission), answered by its own event instead.
 */

interface Operation {
  action: string;
  messages: { $ref: string }[];
}
interface Document {
  operations: Record<string, Operation>;
  channels: { commands: { messages: Record<string, { $ref: string }> } };
  components: { messages: Record<string, { payload: { properties: { command?: { const: string } } } }> };
}
const doc = ASYNCAPI_DOCUMENT as unknown as Document;
const rows = Object.entries(MANAGER_COMMANDS);

/** The command name of each request the document's receive operations take. */
function documentedCommands(): string[] {
  return Object.values(doc.operations)
    .filter((operation) => operation.action === 'receive')
    .flatMap((operation) => operation.messages)
    .map((reference) => {
      const channelMessage = reference.$ref.replace('#/channels/commands/messages/', '');
      const component = doc.channels.commands.messages[channelMessage]!.$ref.replace('#/components/messages/', '');
      return doc.components.messages[component]!.payload.properties.command!.const;
    });
}

it('has exactly one row for every command of the AsyncAPI document, and no other', () => {
  const documented = documentedCommands();
  expect(new Set(documented).size).toBe(documented.length);
  expect([...documented].sort()).toEqual(Object.keys(MANAGER_COMMANDS).sort());
});

it('pairs every Sync row with its plain row: the same schema and permission, answered by its own event', () => {
  const syncRows = rows.filter(([, command]) => command.sync);
  const namedSync = rows.map(([name]) => name).filter((name) => name.endsWith('Sync'));
  expect(syncRows.map(([name]) => name).sort()).toEqual(namedSync.sort());
  for (const [name, command] of syncRows) {
    const plain = MANAGER_COMMANDS[name.replace(/Sync$/, '') as keyof typeof MANAGER_COMMANDS];
    expect({ name, plain: plain !== undefined }).toEqual({ name, plain: true });
    const twin = { name, sync: plain.sync, sameData: plain.data === command.data };
    expect(twin).toEqual({ name, sync: false, sameData: true });
    expect({ name, permission: command.permission }).toEqual({ name, permission: plain.permission });
  }
  expect(syncRows.length).toBeGreaterThan(0);
});

it('names the refusal of every command that needs a money role, and of no other', () => {
  for (const [name, command] of rows) {
    const named = command.permission.refusedAs !== undefined;
    expect({ name, named }).toEqual({ name, named: command.permission.needs === 'a money role' });
  }
});

it('finds a command by its own name only, never by a property every object has', () => {
  expect(managerCommand('BalanceInSync')).toBe(MANAGER_COMMANDS.BalanceInSync);
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'balanceinsync']) {
    expect(managerCommand(name)).toBeUndefined();
  }
});
