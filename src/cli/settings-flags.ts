import type { Command } from 'commander';
import { type Config, ConfigError, loadConfig, settingNames } from '../config/config.js';

/** FLOTILLA_HTTP_PORT ↔ --http-port: every setting is also a flag of the same name. */
export function flagOf(setting: string): string {
  return '--' + setting.replace(/^FLOTILLA_/, '').toLowerCase().replace(/_/g, '-');
}

/** The key commander stores a setting's flag under (--http-port → httpPort). */
function optionKey(setting: string): string {
  return flagOf(setting)
    .slice(2)
    .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function addSettingFlags(command: Command): Command {
  for (const name of settingNames) command.option(`${flagOf(name)} <value>`, `overrides ${name}`);
  return command;
}

/** The environment with any flags given laid over it. */
export function settingsFrom(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const merged: Record<string, string | undefined> = { ...env };
  for (const name of settingNames) {
    const value = flags[optionKey(name)];
    if (typeof value === 'string') merged[name] = value;
  }
  return merged;
}

/** How configuration errors name a setting that came from a flag: "FLOTILLA_HTTP_PORT (--http-port)". */
export function flagLabels(flags: Record<string, unknown>): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const name of settingNames) if (typeof flags[optionKey(name)] === 'string') labels[name] = `${name} (${flagOf(name)})`;
  return labels;
}

/**
 * The configuration of one CLI command: FLOTILLA_* from the environment, flags laid over it. A bad setting
 * ends the process with exit code 2 and a message naming it (start contract).
 */
export function cliConfig(flags: Record<string, unknown>): Config {
  try {
    return loadConfig(settingsFrom(flags, process.env), flagLabels(flags));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`flotilla: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
}
