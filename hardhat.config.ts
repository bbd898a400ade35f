import { createRequire } from "node:module";
import type { HardhatUserConfig } from "hardhat/config";
import hardhatEthers from "@nomicfoundation/hardhat-ethers";
import hardhatTypechain from "@nomicfoundation/hardhat-typechain";

const require = createRequire(import.meta.url);
// solc's own package version, so the compiler comes from node_modules and nothing is downloaded.
const solcVersion = (require("solc/package.json") as { version: string }).version;

const config: HardhatUserConfig = {
  plugins: [hardhatEthers, hardhatTypechain],
  solidity: {
    profiles: {
      default: {
        version: solcVersion,
        path: require.resolve("solc/soljson.js"),
        settings: { optimizer: { enabled: true, runs: 200 } },
      },
    },
  },
  networks: {
    localhost: { type: "http", chainType: "l1", url: process.env.CM_RPC_URL ?? "http://127.0.0.1:8545" },
  },
};

export default config;
