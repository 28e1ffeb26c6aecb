// berth login [-u USER] [-p PASS | --password-stdin] [SERVER] and berth logout [SERVER]: the daemon checks the
// credentials (POST /auth); they are stored in docker's config.json so the docker CLI and berth share them.
import { createInterface } from 'node:readline/promises';
import { login } from '../../../client/distribution-api.ts';
import type { BerthCommand } from '../../berth-command.ts';
import { newCommand, requireArgs } from '../../berth-command.ts';
import { StatusError } from '../../cli-errors.ts';
import type { Cli } from '../../cli.ts';
import { DOCKER_HUB_SERVER, getAuth, removeAuth, serverKey, storeAuth } from '../../docker-config.ts';
import { bindAction } from '../../run-action.ts';

async function readAllStdin(cli: Cli): Promise<string> {
  let s = '';
  for await (const c of cli.io.stdin) s += String(c);
  return s;
}

export function loginCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'login', usage: '[OPTIONS] [SERVER]', description: 'Authenticate to a registry' })
    .option('-u, --username <string>', 'Username')
    .option('-p, --password <string>', 'Password or Personal Access Token (PAT)')
    .option('--password-stdin', 'Take the Password or Personal Access Token (PAT) from stdin') as BerthCommand;
  return bindAction<{ username?: string; password?: string; passwordStdin?: boolean }>(cmd, cli, async (args, f, c) => {
    requireArgs(c, args, 0, 1);
    const server = args[0] ?? DOCKER_HUB_SERVER;
    let { username, password } = f;
    if (password !== undefined && f.passwordStdin) throw new StatusError(1, '--password and --password-stdin are mutually exclusive');
    if (f.passwordStdin) {
      if (!username) throw new StatusError(1, 'Must provide --username with --password-stdin');
      password = (await readAllStdin(cli)).replace(/\r?\n$/, '');
    } else if (password !== undefined) {
      cli.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    }
    const stored = getAuth(server, cli.io.env);
    if (!username && !password && stored) {
      username = stored.username;
      password = stored.password;
    }
    if (!username || password === undefined) {
      if (!cli.io.stdin.isTTY) throw new StatusError(1, 'Error: Cannot perform an interactive login from a non TTY device');
      const rl = createInterface({ input: cli.io.stdin, output: cli.io.stdout });
      try {
        if (!username) username = (await rl.question('Username: ')).trim();
        if (password === undefined) password = await rl.question('Password: ');
      } finally {
        rl.close();
      }
    }
    if (!username) throw new StatusError(1, 'Error: Non-null Username Required');
    const res = await login(cli.client(), { username, password: password ?? '', serveraddress: serverKey(server) });
    storeAuth(server, username, password ?? '', cli.io.env);
    cli.out(`${res.Status}\n`);
  });
}

export function logoutCommand(cli: Cli): BerthCommand {
  const cmd = newCommand({ name: 'logout', usage: '[SERVER]', description: 'Log out from a registry' });
  return bindAction(cmd, cli, async (args, _f, c) => {
    requireArgs(c, args, 0, 1);
    const key = serverKey(args[0]);
    if (!getAuth(key, cli.io.env) && !removeAuth(key, cli.io.env)) {
      cli.out(`Not logged in to ${key}\n`);
      return;
    }
    cli.out(`Removing login credentials for ${key}\n`);
    removeAuth(key, cli.io.env);
  });
}
