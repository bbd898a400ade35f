/**
 * Registers the signer as a node in NodeRegistry, or updates its record when it is registered
 * with other values (nothing is sent when the record already matches).
 *
 *   CM_ACCOUNT=1 CM_ROLES=Owner CM_ENDPOINT=http://10.0.0.5:8080 \
 *     npx hardhat run scripts/register-node.ts --network localhost
 *   npm run register-node
 *
 * Environment:
 *   CM_RPC_URL         chain JSON-RPC URL for --network localhost (default http://127.0.0.1:8545)
 *   CM_ADDRESSES       the deploy script's output (default state/addresses.json)
 *   CM_CONNECTOR_URL   register through this connector (signed HTTP) instead of NodeRegistry
 *                      directly: the way to register with a coordinator (no chain needed)
 *   CM_PRIVATE_KEY     the node's key (0x hex); otherwise the network's account CM_ACCOUNT (default 1)
 *   CM_ENDPOINT        URL other parties reach the node at (default http://127.0.0.1:8080)
 *   CM_ROLES           comma-separated roles: Owner, Worker, Requester (default Owner)
 *   CM_CAPACITY        rows per second (or the operator's unit) the node offers (default 100)
 *   CM_X25519_KEY_FILE the node's X25519 secret key file, created when missing, in the format the
 *                      node's x25519KeyFile setting reads (default state/x25519-<address>.key):
 *                      give the node the same file so it keeps the registered key
 */
import { network } from "hardhat";
import { NodeRegistry__factory } from "../types/ethers-contracts/index.js";
import { maskToRoles, Role, rolesToMask, type RoleName } from "../protocol/src/phases.js";
import { loadOrCreateX25519 } from "../node/src/keys.js";
import { connect, ensureNode, type NodeRecords } from "../node/src/sdk/index.js";
import { env, intEnv, readAddresses, runScript, scriptSigner, ScriptError } from "./env.js";

function parseRoles(raw: string): RoleName[] {
  const names = Object.keys(Role) as RoleName[];
  const out: RoleName[] = [];
  for (const part of raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const hit = names.find((n) => n.toLowerCase() === part.toLowerCase());
    if (!hit) throw new ScriptError(`CM_ROLES: "${part}" is not a role; use a comma-separated list of ${names.join(", ")}`);
    if (!out.includes(hit)) out.push(hit);
  }
  if (out.length === 0) throw new ScriptError(`CM_ROLES must name at least one of ${names.join(", ")}`);
  return out;
}

await runScript(async () => {
  const endpoint = env("CM_ENDPOINT", "http://127.0.0.1:8080")!;
  if (!/^https?:\/\/\S+$/.test(endpoint)) throw new ScriptError(`CM_ENDPOINT must be an http(s) URL, got "${endpoint}"`);
  const roles = rolesToMask(parseRoles(env("CM_ROLES", "Owner")!));
  const capacity = intEnv("CM_CAPACITY", 100, 0, 0xffffffff);
  const { ethers } = await network.create();
  const signer = await scriptSigner(ethers, 1);
  const me = await signer.getAddress();
  const keyFile = env("CM_X25519_KEY_FILE", `state/x25519-${me}.key`)!;
  const x25519 = loadOrCreateX25519(keyFile).publicHex;

  const connectorUrl = env("CM_CONNECTOR_URL");
  const info = { endpoint, x25519, roles, capacity };
  const cm = connectorUrl ? await connect({ connectorUrl, signer }) : undefined;
  // Straight to NodeRegistry: the same operation through a thin adapter over the binding.
  const target: NodeRecords =
    cm?.connector ??
    (() => {
      const registry = NodeRegistry__factory.connect(readAddresses().nodeRegistry, signer);
      return {
        getNode: async (a: string) => {
          const n = await registry.getNode(a);
          return n.registeredAt === 0n ? null : { endpoint: n.endpoint, x25519: n.x25519.toLowerCase(), roles: Number(n.roles), capacity: Number(n.capacity) };
        },
        registerNode: async (i: typeof info) => (await registry.register(i.endpoint, i.x25519, i.roles, i.capacity)).wait(),
        updateNode: async (i: typeof info) => (await registry.update(i.endpoint, i.x25519, i.roles, i.capacity)).wait(),
      };
    })();
  const { action: did, record: now } = await ensureNode(target, me, info);
  await cm?.close();
  const action = did === "unchanged" ? "already registered with these values; nothing sent" : did;
  console.log(`node ${me} ${action}`);
  console.log(`  endpoint ${now.endpoint}`);
  console.log(`  roles    ${maskToRoles(now.roles).join(", ")}`);
  console.log(`  capacity ${now.capacity}`);
  console.log(`  x25519   ${now.x25519} (secret key in ${keyFile})`);
});
