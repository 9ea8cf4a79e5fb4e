import { BusinessError } from '../errors.js';
import { checkDigest, firmwareLimits, type SignMethod } from './firmware-rules.js';

/** One file of a package as the request declares it (ota-api §2.2); digests are lower-case hex. */
export interface PlannedFile {
  /** Where the declaration came from, for messages: `FirmwareUrl` or `MultiFiles.3`. */
  label: string;
  name: string | undefined;
  url: string;
  size: number | undefined;
  signValue: string | undefined;
  fileMd5: string | undefined;
}

interface FileParams {
  firmwareUrl?: string;
  firmwareSign?: string;
  firmwareSize?: number;
  multiFiles?: { name?: string; url?: string; size?: number; signValue?: string; fileMd5?: string }[];
}

const illegal = (message: string) => new BusinessError('iot.system.IllegalRequest', message);

/**
 * ota-api §2.2: either one file (`FirmwareUrl`, with optional `FirmwareSign`/`FirmwareSize`) or up to 20
 * `MultiFiles` (a one-element list is a multi-file package, unconfirmed), never both.
 */
export function planFiles(params: FileParams, signMethod: SignMethod): PlannedFile[] {
  const multi = params.multiFiles ?? [];
  if (multi.length === 0) {
    if (params.firmwareUrl === undefined || params.firmwareUrl === '') {
      throw new BusinessError('iot.check.NullParameter', 'FirmwareUrl is required for a single-file package.');
    }
    if (params.firmwareSize !== undefined && params.firmwareSize <= 0) throw illegal('FirmwareSize must be greater than 0.');
    return [
      {
        label: 'FirmwareUrl',
        name: undefined,
        url: params.firmwareUrl,
        size: params.firmwareSize,
        signValue: params.firmwareSign === undefined ? undefined : checkDigest('FirmwareSign', params.firmwareSign, signMethod),
        fileMd5: undefined,
      },
    ];
  }
  if (params.firmwareUrl !== undefined) throw illegal('FirmwareUrl cannot be combined with MultiFiles.');
  if (params.firmwareSign !== undefined || params.firmwareSize !== undefined) {
    throw illegal('FirmwareSign and FirmwareSize describe single-file packages; use MultiFiles.N.SignValue and MultiFiles.N.Size.');
  }
  if (multi.length > firmwareLimits.multiFiles) throw illegal(`MultiFiles holds at most ${firmwareLimits.multiFiles} files.`);
  const names = new Set<string>();
  const urls = new Set<string>();
  return multi.map((file, i) => {
    const label = `MultiFiles.${i + 1}`;
    if (file.name === undefined || file.name === '') throw new BusinessError('iot.check.NullParameter', `${label}.Name is required.`);
    if (file.url === undefined || file.url === '') throw new BusinessError('iot.check.NullParameter', `${label}.Url is required.`);
    if ([...file.name].length > firmwareLimits.fileNameChars) throw illegal(`${label}.Name must be at most ${firmwareLimits.fileNameChars} characters.`);
    if (names.has(file.name)) throw illegal(`The file name ${file.name} appears twice in MultiFiles.`);
    if (urls.has(file.url)) throw illegal(`The URL ${file.url} appears twice in MultiFiles.`);
    names.add(file.name);
    urls.add(file.url);
    if (file.size !== undefined && file.size <= 0) throw illegal(`${label}.Size must be greater than 0.`);
    return {
      label,
      name: file.name,
      url: file.url,
      size: file.size,
      signValue: file.signValue === undefined ? undefined : checkDigest(`${label}.SignValue`, file.signValue, signMethod),
      fileMd5: file.fileMd5 === undefined ? undefined : checkDigest(`${label}.FileMd5`, file.fileMd5, 'MD5'),
    };
  });
}

/**
 * Spec README "Declared digest or size that does not match": Flotilla holds the bytes, so a declared size
 * or digest is checked against them and a mismatch refused (iot.system.IllegalRequest†) rather than stored.
 */
export function verifyDeclared(file: PlannedFile, object: { size: number; md5: string; sha256: string }, signMethod: SignMethod): void {
  const single = file.label === 'FirmwareUrl';
  if (file.size !== undefined && file.size !== object.size) {
    throw illegal(`${single ? 'FirmwareSize' : `${file.label}.Size`} is ${file.size} but the uploaded file has ${object.size} bytes.`);
  }
  const actual = signMethod === 'MD5' ? object.md5 : object.sha256;
  if (file.signValue !== undefined && file.signValue !== actual) {
    throw illegal(`${single ? 'FirmwareSign' : `${file.label}.SignValue`} does not match the ${signMethod} digest of the uploaded file.`);
  }
  if (file.fileMd5 !== undefined && file.fileMd5 !== object.md5) {
    throw illegal(`${file.label}.FileMd5 does not match the MD5 digest of the uploaded file.`);
  }
}
