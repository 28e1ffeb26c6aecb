// Which commands exist and under which names: management groups (container, image, system) and docker's
// top-level shortcuts, each built fresh because a commander command can have only one parent.
import type { BerthCommand } from './berth-command.ts';
import type { Cli } from './cli.ts';
import { attachCommand } from './commands/container/attach.ts';
import { commitCommand } from './commands/container/commit.ts';
import { cpCommand } from './commands/container/cp.ts';
import { createCommand } from './commands/container/create.ts';
import { diffCommand } from './commands/container/diff.ts';
import { exportCommand } from './commands/container/export.ts';
import { execCommand } from './commands/container/exec.ts';
import { killCommand } from './commands/container/kill.ts';
import { logsCommand } from './commands/container/logs.ts';
import { pauseCommand } from './commands/container/pause.ts';
import { pruneCommand } from './commands/container/prune.ts';
import { psCommand } from './commands/container/ps.ts';
import { portCommand } from './commands/container/port.ts';
import { networkConnectCommand, networkDisconnectCommand } from './commands/network/connect.ts';
import { networkCreateCommand } from './commands/network/create.ts';
import { networkInspectCommand } from './commands/network/inspect.ts';
import { networkLsCommand } from './commands/network/ls.ts';
import { networkPruneCommand } from './commands/network/prune.ts';
import { networkRmCommand } from './commands/network/rm.ts';
import { renameCommand } from './commands/container/rename.ts';
import { restartCommand } from './commands/container/restart.ts';
import { rmCommand } from './commands/container/rm.ts';
import { runCommand } from './commands/container/run.ts';
import { startCommand } from './commands/container/start.ts';
import { stopCommand } from './commands/container/stop.ts';
import { topCommand } from './commands/container/top.ts';
import { unpauseCommand } from './commands/container/unpause.ts';
import { waitCommand } from './commands/container/wait.ts';
import { bootstrapCommand } from './commands/image/bootstrap.ts';
import { buildCommand } from './commands/image/build.ts';
import { builderPruneCommand } from './commands/builder/prune.ts';
import { composeCommand } from './compose/commands.ts';
import { importCommand } from './commands/image/import.ts';
import { imagesCommand } from './commands/image/ls.ts';
import { loadCommand } from './commands/image/load.ts';
import { imagePruneCommand } from './commands/image/prune.ts';
import { rmiCommand } from './commands/image/rm.ts';
import { saveCommand } from './commands/image/save.ts';
import { tagCommand } from './commands/image/tag.ts';
import { pullCommand } from './commands/image/pull.ts';
import { pushCommand } from './commands/image/push.ts';
import { searchCommand } from './commands/image/search.ts';
import { loginCommand, logoutCommand } from './commands/system/login.ts';
import { infoCommand } from './commands/system/info.ts';
import { inspectCommand } from './commands/system/inspect.ts';
import { versionCommand } from './commands/system/version.ts';
import { statsCommand } from './commands/container/stats.ts';
import { updateCommand } from './commands/container/update.ts';
import { dfCommand } from './commands/system/df.ts';
import { systemPruneCommand } from './commands/system/prune.ts';
import { volumeCreateCommand } from './commands/volume/create.ts';
import { volumeInspectCommand } from './commands/volume/inspect.ts';
import { volumeLsCommand } from './commands/volume/ls.ts';
import { volumePruneCommand } from './commands/volume/prune.ts';
import { volumeRmCommand } from './commands/volume/rm.ts';

type Make = () => BerthCommand;

export interface CommandTable {
  groups: { name: string; description: string; commands: Make[] }[];
  topLevel: Make[];
}

export function commandTable(cli: Cli): CommandTable {
  // Verbs shared verbatim between `berth container X` and `berth X`.
  const shared = [
    runCommand,
    createCommand,
    startCommand,
    stopCommand,
    restartCommand,
    killCommand,
    waitCommand,
    renameCommand,
    logsCommand,
    attachCommand,
    execCommand,
    topCommand,
    pauseCommand,
    unpauseCommand,
    diffCommand,
    commitCommand,
    exportCommand,
    cpCommand,
    statsCommand,
    updateCommand,
    portCommand,
  ].map((f) => () => f(cli));
  return {
    groups: [
      {
        name: 'container',
        description: 'Manage containers',
        commands: [
          ...shared,
          () => psCommand(cli, 'ls', ['list', 'ps']),
          () => rmCommand(cli, 'rm', ['remove']),
          () => inspectCommand(cli, { only: 'container' }),
          () => pruneCommand(cli),
        ],
      },
      {
        name: 'image',
        description: 'Manage images',
        commands: [
          () => buildCommand(cli),
          () => imagesCommand(cli, 'ls', ['list']),
          () => rmiCommand(cli, 'rm', ['remove']),
          () => importCommand(cli),
          () => inspectCommand(cli, { only: 'image' }),
          () => tagCommand(cli),
          () => saveCommand(cli),
          () => loadCommand(cli),
          () => imagePruneCommand(cli),
          () => pullCommand(cli),
          () => pushCommand(cli),
        ],
      },
      {
        name: 'volume',
        description: 'Manage volumes',
        commands: [
          () => volumeCreateCommand(cli),
          () => volumeLsCommand(cli),
          () => volumeInspectCommand(cli),
          () => volumeRmCommand(cli),
          () => volumePruneCommand(cli),
        ],
      },
      {
        name: 'network',
        description: 'Manage networks',
        commands: [
          () => networkConnectCommand(cli),
          () => networkCreateCommand(cli),
          () => networkDisconnectCommand(cli),
          () => networkInspectCommand(cli),
          () => networkLsCommand(cli),
          () => networkPruneCommand(cli),
          () => networkRmCommand(cli),
        ],
      },
      {
        name: 'builder',
        description: 'Manage builds',
        commands: [() => buildCommand(cli), () => builderPruneCommand(cli)],
      },
      {
        name: 'system',
        description: 'Manage Berth',
        commands: [() => infoCommand(cli), () => dfCommand(cli), () => systemPruneCommand(cli)],
      },
    ],
    topLevel: [
      ...shared,
      () => psCommand(cli),
      () => rmCommand(cli),
      () => inspectCommand(cli),
      () => imagesCommand(cli),
      () => rmiCommand(cli),
      () => importCommand(cli),
      () => tagCommand(cli),
      () => saveCommand(cli),
      () => loadCommand(cli),
      () => versionCommand(cli),
      () => infoCommand(cli),
      () => buildCommand(cli),
      () => bootstrapCommand(cli),
      () => composeCommand(cli),
      () => pullCommand(cli),
      () => pushCommand(cli),
      () => searchCommand(cli),
      () => loginCommand(cli),
      () => logoutCommand(cli),
    ],
  };
}
