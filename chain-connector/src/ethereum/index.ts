export { EthereumNetwork, EthereumConnector, connectEthereum, encodeProof, type EthereumNetworkOptions } from "./network.js";
export { deployContracts, deployContributionVerifiers, verifyProofSelector, type ContractAddresses, type VerifierBinding } from "./deploy.js";
export { decodeRevert, connectorErrorFrom } from "./errors.js";
export { decodeLog, logCursor } from "./decode.js";
