import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"; // Crockford base32, lower case

// Random bytes come from the system a pool at a time (as Node's randomUUID does): a system call
// per id was a visible share of a debit's CPU. Every id takes 16 bytes no other id has had.
const ID_RANDOM_BYTES = 16;
const POOL_BYTES = ID_RANDOM_BYTES * 256;
let pool = randomBytes(POOL_BYTES);
let used = 0;

function freshRandomBytes(): Uint8Array {
  if (used === POOL_BYTES) {
    pool = randomBytes(POOL_BYTES);
    used = 0;
  }
  used += ID_RANDOM_BYTES;
  return pool.subarray(used - ID_RANDOM_BYTES, used);
}

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
  const random = freshRandomBytes();
  let randomPart = "";
  for (let i = 0; i < ID_RANDOM_BYTES; i++) randomPart += ALPHABET[random[i]! % 32];
  return `${prefix}_${timePart}${randomPart}`;
}
