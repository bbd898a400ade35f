export * from "./connector.js";
export * from "./blobstore.js";
export * from "./coordinator/index.js";
export * from "./keeper.js";
export { ConnectorServer, type ConnectorServerOptions, type NetworkLike } from "./http/server.js";
export { ConnectorClient, type ConnectorClientOptions } from "./http/client.js";
export { KeyringNetwork, type KeyedNetwork } from "./http/keyring.js";
export { startConnector, type ConnectorConfig, type RunningConnector } from "./http/serve.js";
export { ROUTES, type ServerInfo, type ErrorBody } from "./http/routes.js";
