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
import { env, intEnv, readAddresses, runScript, scriptSigner, ScriptError } from "./env.js";

function parseRoles(raw: string): RoleName[] {
  const names = Object.keys(Role) as RoleName[];
  const out: RoleName[] = [];
  for (const part of raw.split(",").map((s) => s.trim()).filter(Boolean)) {
    const hit = names.find((n) => n.toLowerCase() === part.toLowerCase());
    if (!hit) throw new ScriptError(`CM_ROLES: "${part}" is not a role; use a comma-separated list of ${names.join(", ")}`);
    if (!out.includes(hit)) out.push(hit);
  }
  if (out.length === 0) throw new ScriptError(`CM_ROLES must name at least one of ${names.join(", ")}`);
  return out;
}

await runScript(async () => {
  const addresses = readAddresses();
  const endpoint = env("CM_ENDPOINT", "http://127.0.0.1:8080")!;
  if (!/^https?:\/\/\S+$/.test(endpoint)) throw new ScriptError(`CM_ENDPOINT must be an http(s) URL, got "${endpoint}"`);
  const roles = rolesToMask(parseRoles(env("CM_ROLES", "Owner")!));
  const capacity = intEnv("CM_CAPACITY", 100, 0, 0xffffffff);
  const { ethers } = await network.create();
  const signer = await scriptSigner(ethers, 1);
  const me = await signer.getAddress();
  const keyFile = env("CM_X25519_KEY_FILE", `state/x25519-${me}.key`)!;
  const x25519 = loadOrCreateX25519(keyFile).publicHex;

  const registry = NodeRegistry__factory.connect(addresses.nodeRegistry, signer);
  const known = await registry.getNode(me);
  let action: string;
  if (known.registeredAt === 0n) {
    await (await registry.register(endpoint, x25519, roles, capacity)).wait();
    action = "registered";
  } else if (known.endpoint !== endpoint || known.x25519.toLowerCase() !== x25519 || Number(known.roles) !== roles || Number(known.capacity) !== capacity) {
    await (await registry.update(endpoint, x25519, roles, capacity)).wait();
    action = "updated";
  } else {
    action = "already registered with these values; nothing sent";
  }
  const now = await registry.getNode(me);
  console.log(`node ${me} ${action}`);
  console.log(`  endpoint ${now.endpoint}`);
  console.log(`  roles    ${maskToRoles(Number(now.roles)).join(", ")}`);
  console.log(`  capacity ${now.capacity}`);
  console.log(`  x25519   ${now.x25519} (secret key in ${keyFile})`);
});
