// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BadInput, NotRegistered, AlreadyRegistered} from "./Errors.sol";

/// @title NodeRegistry
/// @notice Nodes announce their endpoint, X25519 key, roles and capacity here.
/// @dev Roles are a bit mask identical to protocol/src/phases.ts: Owner 1, Worker 2, Requester 4.
contract NodeRegistry {
    /// @notice Role bit of data owners (commit datasets, join rounds).
    uint8 public constant ROLE_OWNER = 1;
    /// @notice Role bit of workers (join rounds, compute on ciphertexts).
    uint8 public constant ROLE_WORKER = 2;
    /// @notice Role bit of requesters (create tasks).
    uint8 public constant ROLE_REQUESTER = 4;
    uint8 internal constant ROLE_ALL = 7;
    uint256 internal constant MAX_ENDPOINT = 2048;

    struct Node {
        bytes32 x25519;
        // Packed in one slot so rolesOf, the hot path of TaskManager, is a single SLOAD.
        uint8 roles;
        uint32 capacity;
        uint64 registeredAt;
        // Position in `_list` plus one; zero means not registered.
        uint32 index;
        string endpoint;
    }

    mapping(address => Node) private _nodes;
    address[] private _list;

    /// @notice A node registered.
    /// @param node The node's address.
    /// @param endpoint URL other parties reach it at.
    /// @param x25519 Its X25519 public key.
    /// @param roles Its role bit mask.
    /// @param capacity Its declared capacity.
    event NodeRegistered(address indexed node, string endpoint, bytes32 x25519, uint8 roles, uint32 capacity);
    /// @notice A node changed its record.
    /// @param node The node's address.
    /// @param endpoint URL other parties reach it at.
    /// @param x25519 Its X25519 public key.
    /// @param roles Its role bit mask.
    /// @param capacity Its declared capacity.
    event NodeUpdated(address indexed node, string endpoint, bytes32 x25519, uint8 roles, uint32 capacity);
    /// @notice A node left the registry.
    /// @param node The node's address.
    event NodeLeft(address indexed node);

    /// @notice Registers the caller as a node.
    /// @param endpoint URL other parties reach the node at (1 to 2048 bytes).
    /// @param x25519 The node's X25519 public key for pairwise key agreement.
    /// @param roles Role bit mask (1 to 7).
    /// @param capacity Throughput the node offers; managers balance work on it.
    function register(string calldata endpoint, bytes32 x25519, uint8 roles, uint32 capacity) external {
        Node storage n = _nodes[msg.sender];
        if (n.index != 0) revert AlreadyRegistered(msg.sender);
        _check(endpoint, roles);
        _list.push(msg.sender);
        n.x25519 = x25519;
        n.roles = roles;
        n.capacity = capacity;
        n.registeredAt = uint64(block.timestamp);
        n.index = uint32(_list.length);
        n.endpoint = endpoint;
        emit NodeRegistered(msg.sender, endpoint, x25519, roles, capacity);
    }

    /// @notice Replaces the caller's endpoint, key, roles and capacity.
    /// @param endpoint New endpoint URL.
    /// @param x25519 New X25519 public key.
    /// @param roles New role bit mask (1 to 7).
    /// @param capacity New capacity.
    function update(string calldata endpoint, bytes32 x25519, uint8 roles, uint32 capacity) external {
        Node storage n = _nodes[msg.sender];
        if (n.index == 0) revert NotRegistered(msg.sender);
        _check(endpoint, roles);
        n.x25519 = x25519;
        n.roles = roles;
        n.capacity = capacity;
        n.endpoint = endpoint;
        emit NodeUpdated(msg.sender, endpoint, x25519, roles, capacity);
    }

    /// @notice Removes the caller's node record; it may register again later.
    function leave() external {
        Node storage n = _nodes[msg.sender];
        uint32 idx = n.index;
        if (idx == 0) revert NotRegistered(msg.sender);
        // Swap-and-pop keeps the list dense in O(1).
        uint256 last = _list.length;
        if (idx != last) {
            address moved = _list[last - 1];
            _list[idx - 1] = moved;
            _nodes[moved].index = idx;
        }
        _list.pop();
        delete _nodes[msg.sender];
        emit NodeLeft(msg.sender);
    }

    /// @notice The node record of `node`; `registeredAt == 0` when it is not registered.
    /// @param node Address to look up.
    /// @return The stored record (zeroed when absent).
    function getNode(address node) external view returns (Node memory) {
        return _nodes[node];
    }

    /// @notice Whether `node` is currently registered.
    /// @param node Address to look up.
    /// @return True when registered.
    function isRegistered(address node) external view returns (bool) {
        return _nodes[node].index != 0;
    }

    /// @notice The role mask of `node`; zero when not registered.
    /// @param node Address to look up.
    /// @return The role bit mask.
    function rolesOf(address node) external view returns (uint8) {
        return _nodes[node].roles;
    }

    /// @notice Number of registered nodes.
    /// @return The count.
    function nodeCount() external view returns (uint256) {
        return _list.length;
    }

    /// @notice A page of registered nodes (addresses and records), in list order.
    /// @param offset First position to return.
    /// @param limit Largest number of entries to return.
    /// @return addrs Node addresses.
    /// @return records Their records.
    function listNodes(uint256 offset, uint256 limit) external view returns (address[] memory addrs, Node[] memory records) {
        uint256 total = _list.length;
        uint256 end = offset >= total ? offset : (limit > total - offset ? total : offset + limit);
        uint256 count = end - offset;
        addrs = new address[](count);
        records = new Node[](count);
        for (uint256 i = 0; i < count; ++i) {
            address a = _list[offset + i];
            addrs[i] = a;
            records[i] = _nodes[a];
        }
    }

    function _check(string calldata endpoint, uint8 roles) private pure {
        if (bytes(endpoint).length == 0 || bytes(endpoint).length > MAX_ENDPOINT)
            revert BadInput("endpoint must be the node's URL (1 to 2048 bytes)");
        if (roles == 0 || roles > ROLE_ALL) revert BadInput("roles must be a mask of Owner 1, Worker 2, Requester 4");
    }
}
