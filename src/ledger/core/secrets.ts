/**
 * AES-256-GCM for integration secrets at rest (Deskpro API key, webhook secrets, Stripe keys), under the server's key from
 * LEDGER_SECRETS_KEY (32 bytes, base64 or hex). Each ciphertext is bound to its tenant and name
 * (additional data), so a ciphertext copied to another row or tenant does not decrypt.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import { LedgerError } from "./errors.js";

export const SECRETS_KEY_ENV = "LEDGER_SECRETS_KEY";

/** The server has no key, so it can't seal or open integration secrets; nothing is written. */
export class SecretsKeyMissing extends LedgerError {
  readonly code = "service_unavailable";
  constructor() {
    super(`The ledger server has no ${SECRETS_KEY_ENV}, so it can't store or use integration secrets. Nothing was written.`);
  }
}

function serverKey(env: NodeJS.ProcessEnv = process.env): Buffer {
  const raw = env[SECRETS_KEY_ENV]?.trim();
  if (!raw) throw new SecretsKeyMissing();
  const key = /^[0-9a-f]{64}$/i.test(raw) ? Buffer.from(raw, "hex") : Buffer.from(raw, "base64");
  if (key.length !== 32) throw new Error(`${SECRETS_KEY_ENV} must decode to 32 bytes.`);
  return key;
}

export function sealSecret(plaintext: string, binding: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", serverKey(), iv);
  cipher.setAAD(Buffer.from(binding));
  const body = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()]);
  return `v1.${iv.toString("base64url")}.${body.toString("base64url")}`;
}

export function openSecret(sealed: string, binding: string): string {
  const [version, ivText, bodyText] = sealed.split(".");
  if (version !== "v1" || !ivText || !bodyText) throw new Error("unreadable sealed secret");
  const body = Buffer.from(bodyText, "base64url");
  const decipher = createDecipheriv("aes-256-gcm", serverKey(), Buffer.from(ivText, "base64url"));
  decipher.setAAD(Buffer.from(binding));
  decipher.setAuthTag(body.subarray(body.length - 16));
  return Buffer.concat([decipher.update(body.subarray(0, body.length - 16)), decipher.final()]).toString("utf8");
}

/** A key for one purpose (signing customer links, say), derived from the server's key. */
export function derivedKey(purpose: string): Buffer {
  return createHmac("sha256", serverKey()).update(`support-credits:${purpose}`).digest();
}
