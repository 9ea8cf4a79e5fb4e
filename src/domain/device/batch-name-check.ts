import { isValidDeviceName, isValidNickname } from '../fleet-rules.js';

/** fleet-api §4.3: at most this many entries per application; DOCS say the excess is discarded. */
export const MAX_APPLY_ENTRIES = 10_000;

/**
 * fleet-api §4.3 `ErrorMsg` texts. Only the nickname text appears in META; the others are ours
 * (unconfirmed wording). Several reasons are joined by `|`.
 */
export const applyErrorMessages = {
  illegalName: 'The device name is illegal.',
  existingName: 'The device name already exists.',
  illegalNickname: 'The nick name is illegal.',
  repeatedName: 'The device name is repeated.',
} as const;

export interface NameEntry {
  deviceName: string;
  nickname: string | undefined;
}

export interface CheckedEntry extends NameEntry {
  /** undefined when the entry passed every check. */
  errorMsg: string | undefined;
}

/** One object per rejected name (InvalidDetailList). */
export interface InvalidDetail {
  deviceName: string;
  nickname: string | undefined;
  errorMsg: string;
}

export interface NameCheck {
  /** Every kept entry, in index order, with its verdict. */
  entries: CheckedEntry[];
  /** Names rejected as malformed, repeated or existing; each once, in order of first appearance. */
  invalidDeviceNames: string[];
  invalidNicknames: string[];
  repeatedDeviceNames: string[];
  invalidDetails: InvalidDetail[];
}

/**
 * The entries of one BatchCheckDeviceNames request (fleet-api §4.3): `DeviceNameList.N` wins over
 * `DeviceName.N` when it is sent. Entries with an empty name are ignored, so "only empty values" leaves
 * nothing (unconfirmed: an entry with a nickname but no name is ignored too, the spec says the nickname
 * "needs the entry's DeviceName"). Of the rest, entries 1…10,000 are kept in index order.
 */
export function selectEntries(input: {
  deviceNames: readonly string[] | undefined;
  nameList: readonly { deviceName?: string; nickname?: string }[] | undefined;
}): NameEntry[] {
  const raw: NameEntry[] =
    input.nameList !== undefined && input.nameList.length > 0
      ? input.nameList.map((e) => ({ deviceName: e.deviceName ?? '', nickname: e.nickname || undefined }))
      : (input.deviceNames ?? []).map((deviceName) => ({ deviceName, nickname: undefined }));
  return raw.filter((e) => e.deviceName !== '').slice(0, MAX_APPLY_ENTRIES);
}

interface NameVerdict {
  nickname: string | undefined;
  illegal: boolean;
  existing: boolean;
  illegalNickname: boolean;
  repeated: boolean;
}

/**
 * fleet-api §4.3: a name is rejected when malformed (§2.5), repeated within the request, or already
 * registered in the product (`existing`); an entry is also rejected when its nickname is malformed.
 * A repeated name is rejected in every entry that carries it, as in the §4.6 example (its ValidList lacks
 * `pump-0107`). Names compare case-sensitively (fleet-api §2.1, unconfirmed).
 */
export function checkNames(entries: readonly NameEntry[], existing: ReadonlySet<string>): NameCheck {
  const verdicts = new Map<string, NameVerdict>();
  const invalidNicknames = new Set<string>();
  for (const e of entries) {
    let v = verdicts.get(e.deviceName);
    if (v === undefined) {
      const illegal = !isValidDeviceName(e.deviceName);
      v = { nickname: e.nickname, illegal, existing: !illegal && existing.has(e.deviceName), illegalNickname: false, repeated: false };
      verdicts.set(e.deviceName, v);
    } else {
      v.repeated = true;
    }
    if (e.nickname !== undefined && !isValidNickname(e.nickname)) {
      invalidNicknames.add(e.nickname);
      // The detail names the offending nickname when the name's entries carry several.
      if (!v.illegalNickname) v.nickname = e.nickname;
      v.illegalNickname = true;
    }
  }

  const messageOf = (v: NameVerdict): string | undefined => {
    const reasons: string[] = [];
    if (v.illegal) reasons.push(applyErrorMessages.illegalName);
    if (v.existing) reasons.push(applyErrorMessages.existingName);
    if (v.illegalNickname) reasons.push(applyErrorMessages.illegalNickname);
    if (v.repeated) reasons.push(applyErrorMessages.repeatedName);
    return reasons.length > 0 ? reasons.join('|') : undefined;
  };

  const invalidDeviceNames: string[] = [];
  const repeatedDeviceNames: string[] = [];
  const details: InvalidDetail[] = [];
  const repeatOnlyDetails: InvalidDetail[] = [];
  for (const [deviceName, v] of verdicts) {
    if (v.illegal || v.existing || v.repeated) invalidDeviceNames.push(deviceName);
    if (v.repeated) repeatedDeviceNames.push(deviceName);
    const errorMsg = messageOf(v);
    if (errorMsg === undefined) continue;
    // The §4.3 example lists names rejected only for repetition after the others.
    const onlyRepeated = v.repeated && !v.illegal && !v.existing && !v.illegalNickname;
    (onlyRepeated ? repeatOnlyDetails : details).push({ deviceName, nickname: v.nickname, errorMsg });
  }

  return {
    entries: entries.map((e) => ({ ...e, errorMsg: messageOf(verdicts.get(e.deviceName)!) })),
    invalidDeviceNames,
    invalidNicknames: [...invalidNicknames],
    repeatedDeviceNames,
    invalidDetails: [...details, ...repeatOnlyDetails],
  };
}
