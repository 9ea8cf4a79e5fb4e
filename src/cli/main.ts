import { Argument, Command } from 'commander';
import { withAccounts } from './admin-commands.js';
import { dynamicRegistrationCommand } from './product-commands.js';
import { serveCommand } from './serve-command.js';
import { addSettingFlags } from './settings-flags.js';

type Flags = Record<string, unknown>;

export function buildCli(): Command {
  const program = new Command('flotilla')
    .description('Self-hosted OTA firmware updates that speak the Alibaba Cloud IoT Platform API (2018-01-20)')
    .showHelpAfterError();

  addSettingFlags(
    program
      .command('serve')
      .description('run the service in the foreground (management API, firmware endpoints, MQTT broker)')
      .addHelpText('after', '\nExamples:\n  flotilla serve\n  flotilla serve --http-port 0 --mqtt-port 0 --data-dir /tmp/flotilla'),
  ).action((flags) => serveCommand(flags));

  // Every admin command reads the same settings as `serve` (start contract), flags included.
  const admin = (parent: Command, spec: string) => addSettingFlags(parent.command(spec));

  const accounts = program.command('accounts').description('manage accounts (tenants)');
  admin(accounts, 'create <name>')
    .description('create an account with a first API key; prints {"accountId","accessKeyId","accessKeySecret"} once')
    .addHelpText('after', '\nExample:\n  flotilla accounts create acme')
    .action((name: string, flags: Flags) =>
      withAccounts(flags, async (svc) => {
        const a = await svc.createAccount(name);
        // Exactly the three fields of the start contract; `instances list` shows the default IotInstanceId.
        return { accountId: a.accountId, accessKeyId: a.accessKeyId, accessKeySecret: a.accessKeySecret };
      }),
    );
  admin(accounts, 'list')
    .description('list accounts')
    .action((flags: Flags) => withAccounts(flags, (svc) => svc.listAccounts()));

  const keys = program.command('keys').description("manage an account's API keys (AccessKeyId/AccessKeySecret)");
  admin(keys, 'create <accountId>')
    .description('create another key; the secret is printed once')
    .addHelpText('after', '\nExample:\n  flotilla keys create 4821907733150264')
    .action((accountId: string, flags: Flags) => withAccounts(flags, async (svc) => ({ accountId, ...(await svc.createKey(accountId)) })));
  admin(keys, 'list <accountId>')
    .description('list the keys of an account (never their secrets)')
    .action((accountId: string, flags: Flags) => withAccounts(flags, (svc) => svc.listKeys(accountId)));
  admin(keys, 'disable <accessKeyId>')
    .description('disable a key: its requests get InvalidAccessKeyId.Inactive')
    .action((id: string, flags: Flags) => withAccounts(flags, async (svc) => (await svc.setKeyActive(id, false), { accessKeyId: id, status: 'Inactive' })));
  admin(keys, 'enable <accessKeyId>')
    .description('enable a disabled key again')
    .action((id: string, flags: Flags) => withAccounts(flags, async (svc) => (await svc.setKeyActive(id, true), { accessKeyId: id, status: 'Active' })));

  const instances = program.command('instances').description("manage an account's instances (IotInstanceId)");
  admin(instances, 'create <accountId> <iotInstanceId>')
    .description('add a named instance, e.g. the id your Alibaba code already passes as IotInstanceId')
    .addHelpText('after', '\nExample:\n  flotilla instances create 4821907733150264 iot-cn-0pp1n8t4d01')
    .action((accountId: string, iotInstanceId: string, flags: Flags) =>
      withAccounts(flags, async (svc) => (await svc.createInstance(accountId, iotInstanceId), { accountId, iotInstanceId })),
    );
  admin(instances, 'list <accountId>')
    .description('list the instances of an account')
    .action((accountId: string, flags: Flags) =>
      withAccounts(flags, async (svc) =>
        (await svc.listInstances(accountId)).map((i) => ({ iotInstanceId: i.instanceId, default: i.isDefault, createdAt: i.createdAt })),
      ),
    );

  const products = program.command('products').description('product settings that have no Alibaba API');
  admin(products, 'dynamic-registration')
    .argument('<productKey>')
    .addArgument(new Argument('<state>').choices(['on', 'off']))
    .description('allow or refuse "one product, one secret" dynamic registration (off for new products)')
    .addHelpText('after', '\nExample:\n  flotilla products dynamic-registration a1B2c3D4e5F on')
    .action((productKey: string, state: 'on' | 'off', flags: Flags) => dynamicRegistrationCommand(productKey, state, flags));
  return program;
}

export async function runCli(argv: string[]): Promise<void> {
  await buildCli().parseAsync(argv);
}
