import type { Command } from 'commander';
import { settingNames } from '../config/config.js';

/** FLOTILLA_HTTP_PORT ↔ --http-port: every setting is also a flag of the same name. */
export function flagOf(setting: string): string {
  return '--' + setting.replace(/^FLOTILLA_/, '').toLowerCase().replace(/_/g, '-');
}

export function addSettingFlags(command: Command): Command {
  for (const name of settingNames) command.option(`${flagOf(name)} <value>`, `overrides ${name}`);
  return command;
}

/** The environment with any flags given laid over it. */
export function settingsFrom(flags: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const merged: Record<string, string | undefined> = { ...env };
  for (const name of settingNames) {
    const key = flagOf(name)
      .slice(2)
      .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const value = flags[key];
    if (typeof value === 'string') merged[name] = value;
  }
  return merged;
}
