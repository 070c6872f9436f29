/**
 * The default user's password (`requirepass`): stored as a SHA-256 digest
 * and compared in constant time, as Redis's ACL does (it hashes the given
 * password and compares digests with a time-independent compare), so the
 * time an AUTH takes says nothing about how much of a guess was right.
 *
 * @example
 * ```ts
 * import { checkPassword, setRequirePass } from "./auth.ts";
 * const settings = { requirePass: "", requirePassDigest: undefined as Uint8Array | undefined };
 * setRequirePass(settings, "s3cret");
 * console.log(checkPassword(settings, new TextEncoder().encode("s3cret"))); // true
 * console.log(checkPassword(settings, new TextEncoder().encode("guess"))); // false
 * ```
 *
 * @module
 */

import { createHash, timingSafeEqual } from "node:crypto";
import { utf8 } from "../resp/bytes.ts";
import type { ServerSettings } from "./command.ts";

/** `-WRONGPASS invalid username-password pair or user is disabled.` */
export const WRONGPASS_TEXT = "WRONGPASS invalid username-password pair or user is disabled.";

function digest(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}

/** Sets (or with "" clears) the default user's password. */
export function setRequirePass(
  settings: Pick<ServerSettings, "requirePass" | "requirePassDigest">,
  password: string,
): void {
  settings.requirePass = password;
  settings.requirePassDigest = password === "" ? undefined : digest(utf8(password));
}

/**
 * Whether `password` opens the default user: always when no password is
 * set (Redis's `nopass`), otherwise by a constant-time compare of digests.
 */
export function checkPassword(
  settings: Pick<ServerSettings, "requirePassDigest">,
  password: Uint8Array,
): boolean {
  const want = settings.requirePassDigest;
  if (want === undefined) return true;
  return timingSafeEqual(digest(password), want);
}

const DEFAULT_USER = utf8("default");

/** Whether `username` names the only user there is, `default` (case-sensitive, as ACL names). */
export function isDefaultUser(username: Uint8Array): boolean {
  if (username.length !== DEFAULT_USER.length) return false;
  for (let i = 0; i < username.length; i++) if (username[i] !== DEFAULT_USER[i]) return false;
  return true;
}
