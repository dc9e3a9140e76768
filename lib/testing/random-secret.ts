import { randomBytes } from 'node:crypto';

/** A random secret safe in a properties file, a JAAS string and a keytool password (base64url). */
export function randomSecret(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}
