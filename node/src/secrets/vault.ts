import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { scryptSync } from "node:crypto";
import { dirname, join } from "node:path";
import { xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { randomBytes } from "@noble/hashes/utils.js";

/**
 * Secrets at rest. Everything secret a node keeps (round keys, secure-aggregation state, Paillier
 * and CKKS secret keys, masks and seeds, results, salt seeds, the X25519 key) is sealed with
 * XChaCha20-Poly1305 under one 32-byte data key before it reaches node.sqlite or a file. The
 * associated data names what a sealed value is and where it belongs (e.g. the task, round and side
 * of a round's state), so a sealed value moved to another row or file does not open.
 *
 * The data key is scrypt of the operator's keystore password (N = 2^15, r = 8, p = 1, a random
 * salt kept in `<dataDir>/vault.json`) when the node uses a keystore, else 32 random bytes in a
 * key file (`vaultKeyFile`, mode 0600) for unattended nodes. vault.json also holds a sealed check
 * value, so a wrong password or key file is named at start instead of failing later.
 */

const MAGIC = new TextEncoder().encode("CMS1");
const TEXT_PREFIX = "cm-sealed:v1:";
const enc = new TextEncoder();
const SCRYPT = { N: 1 << 15, r: 8, p: 1 };
const CHECK = "ciphermine vault check";

export class VaultError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VaultError";
  }
}

/** Directory mode 0700, whatever the umask and whatever mode it had. */
export function secureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/**
 * Sets 0700 on every folder and 0600 on every file under `dir` (symbolic links are not followed):
 * a data folder made by an older build, or under another umask, is closed at start.
 */
export function secureTree(dir: string): void {
  secureDir(dir);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) secureTree(p);
    else if (e.isFile() && (lstatSync(p).mode & 0o777) !== 0o600) chmodSync(p, 0o600);
  }
}

/**
 * Writes a file with mode 0600 atomically (temporary name, then rename): never readable by others,
 * never torn. A missing parent is made with mode 0700; an existing one is left as it is (it may be
 * the operator's own folder): the data directory's folders are set by secureDir.
 */
export function writeSecretFile(file: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(4).reduce((s, b) => s + b.toString(16).padStart(2, "0"), "")}.tmp`;
  writeFileSync(tmp, bytes, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** Creates `file` empty with mode 0600 if missing, and sets 0600 if it exists (e.g. before SQLite opens it). */
export function secureFile(file: string): void {
  if (!existsSync(file)) closeSync(openSync(file, "a", 0o600));
  chmodSync(file, 0o600);
}

export class Vault {
  private constructor(private readonly key: Uint8Array) {
    if (key.length !== 32) throw new VaultError("vault: the data key must be 32 bytes");
  }

  /** A vault with a random key held only in memory: for in-memory stores and tests. */
  static ephemeral(): Vault {
    return new Vault(randomBytes(32));
  }

  /**
   * The vault of a data directory: password-derived when `password` is given (a keystore node),
   * else from `keyFile` (made on first start). Refuses a password or key file that does not open
   * what the directory already sealed.
   */
  static open(opts: { dataDir: string; keyFile: string; password?: string }): Vault {
    secureDir(opts.dataDir);
    const metaFile = join(opts.dataDir, "vault.json");
    type Meta = { v: 1; source: "password" | "keyfile"; salt?: string; N?: number; r?: number; p?: number; check: string };
    let meta: Meta | undefined;
    if (existsSync(metaFile)) {
      try {
        meta = JSON.parse(readFileSync(metaFile, "utf8")) as Meta;
      } catch (e) {
        throw new VaultError(`vault: ${metaFile} is not readable JSON (${(e as Error).message}); restore it from a backup`);
      }
    }
    const source = opts.password !== undefined ? "password" : "keyfile";
    if (meta && meta.source !== source)
      throw new VaultError(
        meta.source === "password"
          ? `vault: ${opts.dataDir} was sealed under a keystore password; configure the same keystore (and CM_NODE_KEYSTORE_PASSWORD)`
          : `vault: ${opts.dataDir} was sealed under the key file ${opts.keyFile}; start the node without a keystore, or use a new dataDir`,
      );
    let key: Uint8Array;
    if (source === "password") {
      const salt = meta?.salt ? Buffer.from(meta.salt, "base64") : Buffer.from(randomBytes(16));
      const N = meta?.N ?? SCRYPT.N;
      const r = meta?.r ?? SCRYPT.r;
      const p = meta?.p ?? SCRYPT.p;
      key = new Uint8Array(scryptSync(opts.password!.normalize("NFKC"), salt, 32, { N, r, p, maxmem: 256 * N * r }));
      if (!meta) meta = { v: 1, source, salt: salt.toString("base64"), N, r, p, check: "" };
    } else {
      if (existsSync(opts.keyFile)) {
        const st = statSync(opts.keyFile);
        if (!st.isFile() || st.size !== 32)
          throw new VaultError(`vaultKeyFile ${opts.keyFile} must hold exactly 32 bytes; restore it (secrets sealed under it cannot be opened otherwise)`);
        chmodSync(opts.keyFile, 0o600);
        key = new Uint8Array(readFileSync(opts.keyFile));
      } else {
        if (meta) throw new VaultError(`vaultKeyFile ${opts.keyFile} is missing but ${opts.dataDir} holds secrets sealed under it; restore the file`);
        key = randomBytes(32);
        writeSecretFile(opts.keyFile, key);
      }
      if (!meta) meta = { v: 1, source, check: "" };
    }
    const vault = new Vault(key);
    if (meta.check) {
      try {
        vault.openText(meta.check, CHECK);
      } catch {
        throw new VaultError(
          source === "password"
            ? `vault: CM_NODE_KEYSTORE_PASSWORD does not open the secrets in ${opts.dataDir} (sealed under another password)`
            : `vault: ${opts.keyFile} does not open the secrets in ${opts.dataDir} (another key file)`,
        );
      }
    } else {
      meta.check = vault.sealText(CHECK, CHECK);
      writeSecretFile(metaFile, JSON.stringify(meta) + "\n");
    }
    chmodSync(metaFile, 0o600);
    return vault;
  }

  /** MAGIC ‖ nonce (24) ‖ ciphertext and tag; `label` is the associated data. */
  seal(plain: Uint8Array, label: string): Uint8Array {
    const nonce = randomBytes(24);
    const ct = xchacha20poly1305(this.key, nonce, enc.encode(label)).encrypt(plain);
    const out = new Uint8Array(MAGIC.length + 24 + ct.length);
    out.set(MAGIC, 0);
    out.set(nonce, MAGIC.length);
    out.set(ct, MAGIC.length + 24);
    return out;
  }

  open(sealed: Uint8Array, label: string): Uint8Array {
    if (!Vault.isSealed(sealed)) throw new VaultError(`vault: ${label} is not sealed (written in plain by an older build, or not a sealed value)`);
    try {
      return xchacha20poly1305(this.key, sealed.subarray(MAGIC.length, MAGIC.length + 24), enc.encode(label)).decrypt(sealed.subarray(MAGIC.length + 24));
    } catch {
      throw new VaultError(`vault: ${label} does not open with this node's data key (another key, moved from elsewhere, or altered)`);
    }
  }

  static isSealed(b: Uint8Array): boolean {
    return b.length >= MAGIC.length + 24 + 16 && MAGIC.every((m, i) => b[i] === m);
  }

  sealText(plain: string, label: string): string {
    return TEXT_PREFIX + Buffer.from(this.seal(enc.encode(plain), label)).toString("base64");
  }

  openText(sealed: string, label: string): string {
    if (!Vault.isSealedText(sealed)) throw new VaultError(`vault: ${label} is not sealed (written in plain by an older build)`);
    return new TextDecoder().decode(this.open(new Uint8Array(Buffer.from(sealed.slice(TEXT_PREFIX.length), "base64")), label));
  }

  static isSealedText(s: string): boolean {
    return s.startsWith(TEXT_PREFIX);
  }
}
