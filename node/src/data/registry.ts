import { randomBytes } from "node:crypto";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Connector } from "../../../chain-connector/src/connector.js";
import type { DatasetConfig } from "../config.js";
import type { DatasetRow, NodeStore } from "../store/store.js";
import { secureDir, Vault, writeSecretFile } from "../secrets/vault.js";
import { commitTable, schemaHash } from "./commit.js";
import { DataError, loadDataset, type Table } from "./load.js";

/**
 * The node's datasets: registering one validates the whole file, commits it on-chain, and only
 * then records it locally in one transaction, so a bad file or a failed commit leaves nothing
 * behind. Tables are re-read from their files on use and checked against the registered file
 * hash, so computing on a file that changed after its commitment is impossible.
 */
export class DatasetRegistry {
  private readonly cache = new Map<string, Table>();
  private lock: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: NodeStore,
    private readonly connector: Connector,
    private readonly dataDir: string,
    /** Largest dataset file read (config maxDatasetBytes). */
    private readonly maxBytes = 1 << 30,
  ) {}

  /** Registers (or, when the same file is already registered, returns) a dataset. */
  register(spec: DatasetConfig): Promise<DatasetRow> {
    const run = this.lock.then(() => this.doRegister(spec));
    this.lock = run.catch(() => {});
    return run;
  }

  private async doRegister(spec: DatasetConfig): Promise<DatasetRow> {
    const { table, fileHash } = await loadDataset(spec, this.maxBytes);
    const sh = schemaHash(table);
    const last = this.store.getDataset(spec.name);
    if (last && last.fileHash === fileHash && last.schema.schemaHash === sh && last.schema.idColumn === spec.idColumn && last.path === spec.path) {
      this.cache.set(key(last.name, last.version), table);
      return last;
    }
    const seed = randomBytes(32);
    const commitment = await commitTable(table, seed, spec.commitment ?? "chunks");
    const ref = join("salts", `${spec.name}-${fileHash.slice(2, 14)}-${randomBytes(4).toString("hex")}.seed`);
    const seedPath = join(this.dataDir, ref);
    secureDir(join(this.dataDir, "salts"));
    writeSecretFile(seedPath, this.store.vault.seal(seed, `salt-seed:${ref}`));
    let receipt: Awaited<ReturnType<Connector["commitDataset"]>>;
    try {
      receipt = await this.connector.commitDataset(spec.name, commitment);
    } catch (e) {
      await rm(seedPath, { force: true });
      throw e;
    }
    const row: DatasetRow = {
      name: spec.name,
      version: receipt.version,
      path: spec.path,
      format: spec.format,
      schema: { columns: table.columns, idColumn: spec.idColumn, schemaHash: sh },
      rows: commitment.rows,
      columns: commitment.columns,
      root: commitment.root,
      saltSeedRef: ref,
      fileHash,
      committed: true,
      txHash: receipt.txHash,
      createdAt: Math.floor(Date.now() / 1000),
    };
    this.store.tx(() => this.store.insertDataset(row));
    this.cache.set(key(row.name, row.version), table);
    return row;
  }

  /** The table of a registered version, checked against the file hash committed with it. */
  async table(row: DatasetRow): Promise<Table> {
    const k = key(row.name, row.version);
    const hit = this.cache.get(k);
    if (hit) return hit;
    const { table, fileHash } = await loadDataset(
      { name: row.name, path: row.path, format: row.format, columns: row.schema.columns, idColumn: row.schema.idColumn },
      this.maxBytes,
    );
    if (fileHash !== row.fileHash) throw new DataError(`dataset "${row.name}" v${row.version}: ${row.path} changed after it was committed; restore the file or register it again`);
    this.cache.set(k, table);
    return table;
  }

  /** The secret seed of a version's row salts (for proofs over the commitment), sealed at rest by the vault. */
  async saltSeed(row: DatasetRow): Promise<Uint8Array> {
    const file = join(this.dataDir, row.saltSeedRef);
    const raw = new Uint8Array(await readFile(file));
    const label = `salt-seed:${row.saltSeedRef}`;
    if (raw.length === 32 && !Vault.isSealed(raw)) {
      // Written in plain by an older build: seal it in place.
      writeSecretFile(file, this.store.vault.seal(raw, label));
      return raw;
    }
    return this.store.vault.open(raw, label);
  }
}

function key(name: string, version: number): string {
  return `${name}@${version}`;
}
