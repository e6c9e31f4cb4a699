import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case

/**
 * A 26-character id: 10 characters of millisecond time (so ids sort roughly by creation) and 16 of
 * randomness (80 bits), so ids can't be guessed or enumerated across tenants.
 */
export function newId(prefix: "ent" | "grt" | "tnt" | "evt" | "obx", now: Date = new Date()): string {
  let time = now.getTime();
  let timePart = "";
  for (let i = 0; i < 10; i++) {
    timePart = ALPHABET[time % 32] + timePart;
    time = Math.floor(time / 32);
  }
  const random = randomBytes(16);
  let randomPart = "";
  for (let i = 0; i < 16; i++) randomPart += ALPHABET[random[i]! % 32];
  return `${prefix}_${timePart}${randomPart}`;
}
