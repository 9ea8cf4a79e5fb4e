import { createHmac } from 'node:crypto';

/**
 * Deployment credentials derived from the master key, so every instance sharing the key (and the database)
 * agrees on them without storing more secrets. Never an API AccessKey (ota-api §2.1).
 */
export interface DeploymentCredentials {
  /** `OSSAccessKeyId` of upload forms and signed download URLs. */
  readonly uploadKeyId: string;
  /** Signs upload policies: Base64(HMAC-SHA1(uploadSecret, policy)). */
  readonly uploadSecret: string;
  /** Signs download URLs. */
  readonly downloadSecret: Buffer;
}

export function deriveDeploymentCredentials(masterKey: Buffer): DeploymentCredentials {
  const derive = (label: string) => createHmac('sha256', masterKey).update(`flotilla:${label}`).digest();
  return {
    uploadKeyId: 'FLOTILLA' + derive('upload-key-id').toString('hex').slice(0, 12).toUpperCase(),
    uploadSecret: derive('upload-secret').toString('base64url'),
    downloadSecret: derive('download-secret'),
  };
}
