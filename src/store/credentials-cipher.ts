// The MantaGO pair at rest. With CREDENTIALS_ENCRYPTION_KEY set, the token and the secret are
// stored encrypted and authenticated (AES-256-GCM; the bot and the field are bound in as
// associated data, so a value cannot be moved to another row or column). Without it they are
// stored as they are. A pair stored before the key was set is read as it is and encrypted at its
// next save.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type StoredCredentials, UnreadablePairError } from '../domain/credentials.ts';

const PREFIX = 'enc:v1:';

export interface CredentialsCipher {
  seal(c: StoredCredentials): StoredCredentials;
  open(c: StoredCredentials): StoredCredentials;
}

export function credentialsCipher(keyBase64: string | undefined): CredentialsCipher {
  const key = keyBase64 === undefined ? undefined : Buffer.from(keyBase64, 'base64');
  if (key && key.length !== 32) throw new Error('CREDENTIALS_ENCRYPTION_KEY must be 32 bytes, base64');
  const seal = (value: string, aad: string) => {
    if (!key) return value;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(Buffer.from(aad));
    const sealed = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
    return `${PREFIX}${iv.toString('base64')}:${cipher.getAuthTag().toString('base64')}:${sealed.toString('base64')}`;
  };
  const open = (value: string, aad: string) => {
    if (!value.startsWith(PREFIX)) return value;
    if (!key) throw new Error('the stored MantaGO pair is encrypted: set CREDENTIALS_ENCRYPTION_KEY to the key it was stored with');
    const [iv, tag, sealed] = value.slice(PREFIX.length).split(':');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv ?? '', 'base64')).setAAD(Buffer.from(aad));
      decipher.setAuthTag(Buffer.from(tag ?? '', 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(sealed ?? '', 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw new Error('CREDENTIALS_ENCRYPTION_KEY does not open the stored MantaGO pair (a different key, or the row was altered)');
    }
  };
  return {
    seal: (c) => ({ ...c, apiToken: seal(c.apiToken, `${c.botId}:api_token`), apiSecret: seal(c.apiSecret, `${c.botId}:api_secret`) }),
    open: (c) => {
      try {
        return { ...c, apiToken: open(c.apiToken, `${c.botId}:api_token`), apiSecret: open(c.apiSecret, `${c.botId}:api_secret`) };
      } catch (error) {
        const { apiToken: _t, apiSecret: _s, ...stored } = c;
        throw new UnreadablePairError((error as Error).message, stored);
      }
    },
  };
}
