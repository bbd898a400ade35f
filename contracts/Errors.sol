// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

// Shared custom errors. Their names are the ConnectorError codes of chain-connector/src/connector.ts,
// so a revert decodes to the same code the coordinator mode raises for the same mistake.

/// @dev Input is malformed; `reason` names the field and the fix.
error BadInput(string reason);
/// @dev The address has no node record; it must call NodeRegistry.register first.
error NotRegistered(address node);
/// @dev The address already has a node record; it should call update instead.
error AlreadyRegistered(address node);
/// @dev The node lacks every role in `needed` (a bit mask: Owner 1, Worker 2, Requester 4).
error MissingRole(address node, uint8 needed);
/// @dev Only the contract owner may do this.
error Unauthorized(address caller);
