// The tests' dev chain is the same launcher the demo and the bench use.
export { startDevChain as startHardhatNode, hardhatAccounts, freePort, HARDHAT_MNEMONIC, type DevChain as HardhatNode } from "../../chain-connector/src/ethereum/devchain.js";
