// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BadInput, NotRegistered, MissingRole} from "./Errors.sol";
import {NodeRegistry} from "./NodeRegistry.sol";

/// @title DataRegistry
/// @notice Data owners commit the Poseidon root of each dataset version before any task uses it.
/// @dev Versions are appended (1-based) and never overwritten, so a proof about a root stays checkable.
contract DataRegistry {
    struct Dataset {
        bytes32 root;
        bytes32 schemaHash;
        uint64 rows;
        uint32 columns;
        uint64 committedAt;
    }

    /// @notice The registry whose Owner role may commit datasets.
    NodeRegistry public immutable nodes;

    mapping(address => mapping(bytes32 => Dataset[])) private _versions;
    mapping(address => mapping(bytes32 => bool)) private _roots;

    /// @notice An owner committed a new version of one of its datasets.
    /// @param owner The data owner.
    /// @param datasetId keccak256 of the dataset's name.
    /// @param version The new version number.
    /// @param root Merkle root of the dataset's rows.
    /// @param rows Number of rows.
    /// @param columns Number of columns.
    /// @param schemaHash Hash of the dataset's schema.
    event DatasetCommitted(
        address indexed owner,
        bytes32 indexed datasetId,
        uint32 version,
        bytes32 root,
        uint64 rows,
        uint32 columns,
        bytes32 schemaHash
    );

    /// @notice Deploys the dataset registry on top of a node registry.
    /// @param nodeRegistry The registry whose Owner role may commit datasets.
    constructor(NodeRegistry nodeRegistry) {
        nodes = nodeRegistry;
    }

    /// @notice Appends a new version of one of the caller's datasets.
    /// @param datasetId keccak256 of the dataset's name.
    /// @param root Commitment to the salted fixed-point rows (nonzero).
    /// @param rows Number of rows (at least 1).
    /// @param columns Number of columns (at least 1).
    /// @param schemaHash Hash of the dataset's schema.
    /// @return version The new version number (1-based).
    function commit(bytes32 datasetId, bytes32 root, uint64 rows, uint32 columns, bytes32 schemaHash)
        external
        returns (uint32 version)
    {
        uint8 roles = nodes.rolesOf(msg.sender);
        if (roles == 0) revert NotRegistered(msg.sender);
        if (roles & 1 == 0) revert MissingRole(msg.sender, 1);
        if (root == bytes32(0)) revert BadInput("root must not be zero");
        if (rows == 0) revert BadInput("rows must be at least 1");
        if (columns == 0) revert BadInput("columns must be at least 1");
        Dataset[] storage list = _versions[msg.sender][datasetId];
        list.push(Dataset(root, schemaHash, rows, columns, uint64(block.timestamp)));
        version = uint32(list.length);
        _roots[msg.sender][root] = true;
        emit DatasetCommitted(msg.sender, datasetId, version, root, rows, columns, schemaHash);
    }

    /// @notice One version of a dataset; all fields zero when it does not exist.
    /// @param owner The data owner.
    /// @param datasetId keccak256 of the dataset's name.
    /// @param version Version number (1-based).
    /// @return The dataset record.
    function getDataset(address owner, bytes32 datasetId, uint32 version) external view returns (Dataset memory) {
        Dataset[] storage list = _versions[owner][datasetId];
        if (version == 0 || version > list.length) return Dataset(0, 0, 0, 0, 0);
        return list[version - 1];
    }

    /// @notice The newest version number of a dataset, zero when never committed.
    /// @param owner The data owner.
    /// @param datasetId keccak256 of the dataset's name.
    /// @return The latest version.
    function latestVersion(address owner, bytes32 datasetId) external view returns (uint32) {
        return uint32(_versions[owner][datasetId].length);
    }

    /// @notice Whether `owner` ever committed `root` (in any dataset or version).
    /// @param owner The data owner.
    /// @param root The root to look for.
    /// @return True when committed.
    function hasRoot(address owner, bytes32 root) external view returns (bool) {
        return _roots[owner][root];
    }
}
