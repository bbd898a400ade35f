export { EthereumNetwork, EthereumConnector, connectEthereum, encodeProof, type EthereumNetworkOptions } from "./network.js";
export {
  deployContracts,
  deployContributionVerifiers,
  deployHonkVerifiers,
  verifyProofSelector,
  type ContractAddresses,
  type HonkVerifierBinding,
  type VerifierBinding,
} from "./deploy.js";
export { decodeRevert, connectorErrorFrom } from "./errors.js";
export { decodeLog, logCursor } from "./decode.js";
