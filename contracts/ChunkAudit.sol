// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BadInput} from "./Errors.sol";
import {DataRegistry} from "./DataRegistry.sol";
import {TaskManager} from "./TaskManager.sol";

/// @title IHonkVerifier
/// @notice The `verify` of a bb-generated UltraHonk verifier (contracts/verifiers/honk/).
interface IHonkVerifier {
    /// @notice Whether `proof` proves the circuit for `publicInputs`.
    /// @param proof The UltraHonk proof bytes.
    /// @param publicInputs The circuit's public inputs, in its order.
    /// @return ok True when the proof verifies.
    function verify(bytes calldata proof, bytes32[] calldata publicInputs) external view returns (bool ok);
}

/// @title ChunkAudit
/// @notice Catches a member that proved a chunk group wrongly without verifying every group
/// on-chain (one UltraHonk verification costs ≈3.84M gas). Per round, each member commits the
/// Merkle root of its list of chunk-group proofs (≈8.8 KB each, published in the blob store);
/// the honest path costs only that commitment. Two ways to catch a cheater:
/// - challenge: anyone submits an entry of a member's list (its proof, public inputs and Merkle
///   path) that fails; the contract re-checks it and excludes the member. A valid entry reverts,
///   so the challenger pays for a false accusation.
/// - random audit: after the round's coordinator closes it at block B, anyone draws the target
///   (member and entry) from blockhash(B + 1), unknown to everyone when proofs were made and
///   committed (drawable while that hash is visible, 256 blocks); anyone answers with that entry
///   within AUDIT_WINDOW blocks of the draw and the contract verifies it: a failing entry, or no
///   answer in time, excludes the member.
/// @dev An entry is valid when its public inputs are [root, group, binding, …] with group = its
/// index in the list, binding = bindingOf(key, member) and root a dataset root the member
/// committed in DataRegistry, and the verifier accepts the proof. Whether the list covers every
/// row (count = groups of the dataset) and whether the aggregate opens the sum of the entries'
/// commitments stay with the requester, off-chain. Entry leaf = keccak256(abi.encode(
/// keccak256(proof), publicInputs)); nodes keccak256(left ‖ right); the tree has the least depth
/// holding `count` leaves, empty leaves zero. No loop runs over members or entries; the only loop
/// walks a Merkle path of at most MAX_DEPTH hashes.
///
/// Wired into TaskManager (`challengeTask`): for an OffChain task, TaskManager records each member's
/// Compute commitment, the root of its proof list (`proofsRootOf`); the entry's binding is then the
/// round binding TaskManager uses for Groth16 (keccak256(taskManager, chainid, task, round, member,
/// keccak256 of the entry's outputs)), its verifier the one the TaskManager owner bound to the
/// task's kind and the width its `columns` input needs, and a failing entry excludes the member
/// from that task's round (`excludedFrom`, `TaskMemberExcluded`), which the requester honours.
contract ChunkAudit {
    /// @dev BN254 scalar field: bindings are reduced into it (they are public inputs).
    uint256 private constant FR = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice Blocks after the draw during which the audit may be answered.
    uint64 public constant AUDIT_WINDOW = 200;
    /// @notice Gas given to one Honk verification (≈3.9M used by an honest proof, width 4 or 16).
    uint256 public constant VERIFY_GAS = 6_000_000;
    /// @notice Deepest proof list: 2^20 entries.
    uint8 public constant MAX_DEPTH = 20;

    struct Round {
        address coordinator;
        IHonkVerifier verifier;
        uint64 closedAt;
        uint32 members;
        uint8 inputs;
        bool audited;
        address target;
        uint32 targetIndex;
        uint64 drawnAt;
    }

    struct Entry {
        bytes32 proofsRoot;
        uint32 count;
        bool excluded;
    }

    /// @notice A kind's Honk verifier for one circuit width.
    struct HonkBinding {
        IHonkVerifier verifier;
        uint8 inputs;
        uint8 outputsAt;
    }

    /// @notice The registry whose roots the proofs must be over.
    DataRegistry public immutable data;
    /// @notice The task manager whose OffChain rounds `challengeTask` opens.
    TaskManager public immutable tasks;
    /// @notice Verifier per task kind (keccak256 of its name) and circuit width (4 or 16).
    mapping(bytes32 => mapping(uint8 => HonkBinding)) public honkVerifiers;
    /// @notice Whether a challenge excluded a member from a task's round.
    mapping(uint256 => mapping(uint32 => mapping(address => bool))) public excludedFrom;

    mapping(bytes32 => Round) private _rounds;
    mapping(bytes32 => mapping(uint256 => address)) private _memberAt;
    mapping(bytes32 => mapping(address => Entry)) private _entries;

    /// @notice A round was opened for proof-list commitments.
    /// @param key The round's key.
    /// @param coordinator Who may close it.
    /// @param verifier The chunk circuit's verifier.
    /// @param inputs The circuit's number of public inputs.
    event RoundOpened(bytes32 indexed key, address indexed coordinator, address verifier, uint8 inputs);
    /// @notice A member committed the Merkle root of its list of chunk proofs.
    /// @param key The round's key.
    /// @param member The member.
    /// @param proofsRoot The root of its proof list.
    /// @param count The number of proofs in the list.
    event ProofsCommitted(bytes32 indexed key, address indexed member, bytes32 proofsRoot, uint32 count);
    /// @notice The round no longer takes commitments; the audit seed is the next block's hash.
    /// @param key The round's key.
    /// @param closedAt The block it was closed in.
    event RoundClosed(bytes32 indexed key, uint64 closedAt);
    /// @notice The random audit picked one member's list entry.
    /// @param key The round's key.
    /// @param member The audited member.
    /// @param index The entry to answer with.
    event AuditDrawn(bytes32 indexed key, address indexed member, uint32 index);
    /// @notice The audited entry verified.
    /// @param key The round's key.
    /// @param member The audited member.
    /// @param index The entry.
    event AuditPassed(bytes32 indexed key, address indexed member, uint32 index);
    /// @notice A member was excluded from the round.
    /// @param key The round's key.
    /// @param member The excluded member.
    /// @param index The list entry that failed (or was drawn and not answered).
    /// @param reason 1 public inputs malformed, 2 group is not the index, 3 wrong binding, 4 root not committed, 5 proof rejected, 6 audit not answered
    event MemberExcluded(bytes32 indexed key, address indexed member, uint32 index, uint8 reason);

    /// @notice The TaskManager owner bound a kind's verifier for one width.
    /// @param kind keccak256 of the task kind's name.
    /// @param width The circuit width.
    /// @param verifier The verifier (zero: unbound).
    /// @param inputs Its number of public inputs.
    /// @param outputsAt Index of the first output among them (the binding commits to the outputs from there).
    event HonkVerifierSet(bytes32 indexed kind, uint8 width, address verifier, uint8 inputs, uint8 outputsAt);
    /// @notice A challenge excluded a member from a task's round.
    /// @param taskId The task.
    /// @param round The round.
    /// @param member The excluded member.
    /// @param index The list entry that failed.
    /// @param reason As MemberExcluded's, and 7: `columns` has no circuit width.
    event TaskMemberExcluded(uint256 indexed taskId, uint32 round, address indexed member, uint32 index, uint8 reason);

    error Unauthorized(address caller);
    error NoHonkVerifier(bytes32 kind, uint8 width);
    error RoundExists(bytes32 key);
    error UnknownRound(bytes32 key);
    error NotCoordinator(address caller);
    error RoundClosedAlready(bytes32 key);
    error RoundStillOpen(bytes32 key);
    error AlreadyCommitted(address member);
    error NotCommitted(address member);
    error AlreadyExcluded(address member);
    error NoMembers(bytes32 key);
    error AuditNotDrawable(uint64 from, uint64 until);
    error AuditDone(bytes32 key);
    error AuditNotDrawn(bytes32 key);
    error AuditWindowClosed(uint64 until);
    error AuditWindowOpen(uint64 until);
    error NotInList(uint32 index);
    error ChunkValid(uint32 index);
    error OutOfGas(uint256 needed);

    /// @notice Binds the audit to a task manager and its registry of dataset roots.
    /// @param taskManager The task manager whose OffChain rounds are challenged.
    constructor(TaskManager taskManager) {
        tasks = taskManager;
        data = taskManager.data();
    }

    /// @notice Binds (or with the zero address unbinds) a kind's Honk verifier for one width; the TaskManager owner only.
    /// @param kind keccak256 of the task kind's name.
    /// @param width The circuit width (4 or 16).
    /// @param verifier The bb-generated verifier.
    /// @param inputs Its number of public inputs ([root, group, binding, columns, …]).
    /// @param outputsAt Index of the first output (the round binding commits to inputs from there to the end).
    function setHonkVerifier(bytes32 kind, uint8 width, IHonkVerifier verifier, uint8 inputs, uint8 outputsAt) external {
        if (msg.sender != tasks.owner()) revert Unauthorized(msg.sender);
        if (width != 4 && width != 16) revert BadInput("width must be 4 or 16");
        if (address(verifier) != address(0)) {
            if (address(verifier).code.length == 0) revert BadInput("verifier must be a deployed contract");
            if (outputsAt < 4 || outputsAt >= inputs) revert BadInput("outputsAt must follow root, group, binding, columns and precede the end");
        }
        honkVerifiers[kind][width] = HonkBinding(verifier, inputs, outputsAt);
        emit HonkVerifierSet(kind, width, address(verifier), inputs, outputsAt);
    }

    /// @notice The binding a member's proofs carry in a task's round: TaskManager's round binding
    /// (protocol roundBinding) over the keccak256 of the proof's packed outputs.
    /// @param taskId The task.
    /// @param round The round.
    /// @param member The member.
    /// @param outputs keccak256 of the proof's outputs, packed as uint256 words.
    /// @return The binding (a BN254 field element).
    function taskBinding(uint256 taskId, uint32 round, address member, bytes32 outputs) public view returns (uint256) {
        return uint256(keccak256(abi.encode(address(tasks), block.chainid, taskId, uint256(round), member, outputs))) % FR;
    }

    /// @notice Anyone shows that an entry of a member's proof list in an OffChain task's round fails
    /// (bad proof, wrong binding, root not committed, group not its index); the member is excluded
    /// from the round. Reverts with ChunkValid when the entry does not fail.
    /// @param taskId The task.
    /// @param round The round.
    /// @param member The accused member.
    /// @param index The entry's index in its list (= the group it must prove).
    /// @param publicInputs The entry's public inputs.
    /// @param proof The entry's proof.
    /// @param path Sibling hashes from the leaf up.
    function challengeTask(
        uint256 taskId,
        uint32 round,
        address member,
        uint32 index,
        bytes32[] calldata publicInputs,
        bytes calldata proof,
        bytes32[] calldata path
    ) external {
        bytes32 root = tasks.proofsRootOf(taskId, round, member);
        if (root == bytes32(0)) revert NotCommitted(member);
        if (excludedFrom[taskId][round][member]) revert AlreadyExcluded(member);
        // The path's length fixes the depth; an index past 2^depth would alias a lower leaf.
        if (path.length > MAX_DEPTH || (uint256(index) >> path.length) != 0) revert NotInList(index);
        if (_listRoot(index, publicInputs, proof, path) != root) revert NotInList(index);
        uint8 reason = _checkTaskEntry(taskId, round, member, index, publicInputs, proof);
        if (reason == 0) revert ChunkValid(index);
        excludedFrom[taskId][round][member] = true;
        emit TaskMemberExcluded(taskId, round, member, index, reason);
    }

    /// @notice Opens a round (the caller becomes its coordinator: in the platform, TaskManager or the requester).
    /// @param key The round's key, e.g. keccak256(taskManager, taskId, round).
    /// @param verifier The Honk verifier of the round's circuit.
    /// @param inputs The circuit's number of public inputs (at least root, group, binding).
    function open(bytes32 key, IHonkVerifier verifier, uint8 inputs) external {
        if (_rounds[key].coordinator != address(0)) revert RoundExists(key);
        if (address(verifier).code.length == 0) revert BadInput("verifier must be a deployed contract");
        if (inputs < 3) revert BadInput("inputs must count root, group and binding at least");
        _rounds[key] = Round(msg.sender, verifier, 0, 0, inputs, false, address(0), 0, 0);
        emit RoundOpened(key, msg.sender, address(verifier), inputs);
    }

    /// @notice A member commits the Merkle root of its chunk-group proofs, once per round, before it closes.
    /// @param key The round.
    /// @param proofsRoot Root of the entries (see the contract's dev note).
    /// @param count Number of entries (at least 1, at most 2^MAX_DEPTH).
    function commitProofs(bytes32 key, bytes32 proofsRoot, uint32 count) external {
        Round storage r = _round(key);
        if (r.closedAt != 0) revert RoundClosedAlready(key);
        if (count == 0 || count > (uint32(1) << MAX_DEPTH)) revert BadInput("count must be 1 .. 2^20");
        Entry storage e = _entries[key][msg.sender];
        if (e.count != 0) revert AlreadyCommitted(msg.sender);
        e.proofsRoot = proofsRoot;
        e.count = count;
        _memberAt[key][r.members] = msg.sender;
        ++r.members;
        emit ProofsCommitted(key, msg.sender, proofsRoot, count);
    }

    /// @notice Closes the round to commitments (coordinator only); the audit seed is the next block's hash.
    /// @param key The round.
    function close(bytes32 key) external {
        Round storage r = _round(key);
        if (msg.sender != r.coordinator) revert NotCoordinator(msg.sender);
        if (r.closedAt != 0) revert RoundClosedAlready(key);
        r.closedAt = uint64(block.number);
        emit RoundClosed(key, r.closedAt);
    }

    /// @notice The binding public input a member's proofs must carry in this round.
    /// @param key The round.
    /// @param member The member.
    /// @return The binding (a BN254 field element).
    function bindingOf(bytes32 key, address member) public pure returns (uint256) {
        return uint256(keccak256(abi.encode("ciphermine/chunk-audit/v1", key, member))) % FR;
    }

    /// @notice Draws the audited member and entry from blockhash(closedAt + 1); anyone, once, while that hash is visible.
    /// @param key The round.
    /// @return member The member whose entry is audited.
    /// @return index The entry's index in its list.
    function drawAudit(bytes32 key) external returns (address member, uint32 index) {
        Round storage r = _round(key);
        if (r.closedAt == 0) revert RoundStillOpen(key);
        if (r.drawnAt != 0) revert AuditDone(key);
        if (r.members == 0) revert NoMembers(key);
        uint64 seedBlock = r.closedAt + 1;
        if (block.number <= seedBlock || block.number > seedBlock + 256) revert AuditNotDrawable(seedBlock + 1, seedBlock + 256);
        uint256 seed = uint256(keccak256(abi.encode(blockhash(seedBlock), key)));
        member = _memberAt[key][seed % r.members];
        index = uint32((seed >> 128) % _entries[key][member].count);
        r.target = member;
        r.targetIndex = index;
        r.drawnAt = uint64(block.number);
        emit AuditDrawn(key, member, index);
    }

    /// @notice Answers the drawn audit with the target entry within AUDIT_WINDOW blocks; verifies it (≈3.9M gas) and excludes the member when it fails.
    /// @param key The round.
    /// @param publicInputs The entry's public inputs.
    /// @param proof The entry's proof.
    /// @param path Sibling hashes from the leaf up.
    function answerAudit(bytes32 key, bytes32[] calldata publicInputs, bytes calldata proof, bytes32[] calldata path) external {
        Round storage r = _round(key);
        if (r.drawnAt == 0) revert AuditNotDrawn(key);
        if (r.audited) revert AuditDone(key);
        if (block.number > r.drawnAt + AUDIT_WINDOW) revert AuditWindowClosed(r.drawnAt + AUDIT_WINDOW);
        r.audited = true;
        (address member, uint32 index) = (r.target, r.targetIndex);
        Entry storage e = _entries[key][member];
        if (e.excluded) return;
        _requireInList(e, index, publicInputs, proof, path);
        uint8 reason = _check(key, r, member, index, publicInputs, proof);
        if (reason == 0) emit AuditPassed(key, member, index);
        else _exclude(key, member, index, reason);
    }

    /// @notice Excludes the audited member when nobody answered the drawn audit within AUDIT_WINDOW blocks.
    /// @param key The round.
    function expireAudit(bytes32 key) external {
        Round storage r = _round(key);
        if (r.drawnAt == 0) revert AuditNotDrawn(key);
        if (r.audited) revert AuditDone(key);
        if (block.number <= r.drawnAt + AUDIT_WINDOW) revert AuditWindowOpen(r.drawnAt + AUDIT_WINDOW);
        r.audited = true;
        if (!_entries[key][r.target].excluded) _exclude(key, r.target, r.targetIndex, 6);
    }

    /// @notice Anyone shows that an entry of a member's list fails; the member is excluded. Reverts with ChunkValid when it does not fail.
    /// @param key The round.
    /// @param member The accused member.
    /// @param index The entry's index.
    /// @param publicInputs The entry's public inputs.
    /// @param proof The entry's proof.
    /// @param path Sibling hashes from the leaf up.
    function challenge(
        bytes32 key,
        address member,
        uint32 index,
        bytes32[] calldata publicInputs,
        bytes calldata proof,
        bytes32[] calldata path
    ) external {
        Round storage r = _round(key);
        Entry storage e = _entries[key][member];
        if (e.count == 0) revert NotCommitted(member);
        if (e.excluded) revert AlreadyExcluded(member);
        _requireInList(e, index, publicInputs, proof, path);
        uint8 reason = _check(key, r, member, index, publicInputs, proof);
        if (reason == 0) revert ChunkValid(index);
        _exclude(key, member, index, reason);
    }

    /// @notice A member's committed list and whether it was excluded.
    /// @param key The round.
    /// @param member The member.
    /// @return The entry record.
    function entryOf(bytes32 key, address member) external view returns (Entry memory) {
        return _entries[key][member];
    }

    /// @notice A round's record.
    /// @param key The round.
    /// @return The round record (coordinator zero when it does not exist).
    function roundOf(bytes32 key) external view returns (Round memory) {
        return _rounds[key];
    }

    function _round(bytes32 key) private view returns (Round storage r) {
        r = _rounds[key];
        if (r.coordinator == address(0)) revert UnknownRound(key);
    }

    function _exclude(bytes32 key, address member, uint32 index, uint8 reason) private {
        _entries[key][member].excluded = true;
        emit MemberExcluded(key, member, index, reason);
    }

    /// @dev Reverts NotInList unless the entry is leaf `index` of the member's list.
    function _requireInList(
        Entry storage e,
        uint32 index,
        bytes32[] calldata publicInputs,
        bytes calldata proof,
        bytes32[] calldata path
    ) private view {
        if (index >= e.count) revert NotInList(index);
        uint256 depth = 0;
        while ((uint256(1) << depth) < e.count) ++depth;
        if (path.length != depth) revert NotInList(index);
        if (_listRoot(index, publicInputs, proof, path) != e.proofsRoot) revert NotInList(index);
    }

    /// @dev The root the entry and its path hash up to (leaf and nodes as in the contract's dev note).
    function _listRoot(uint32 index, bytes32[] calldata publicInputs, bytes calldata proof, bytes32[] calldata path)
        private
        pure
        returns (bytes32 node)
    {
        node = keccak256(abi.encode(keccak256(proof), publicInputs));
        uint256 at = index;
        for (uint256 i = 0; i < path.length; ++i) {
            node = at & 1 == 0 ? keccak256(abi.encodePacked(node, path[i])) : keccak256(abi.encodePacked(path[i], node));
            at >>= 1;
        }
    }

    /// @dev 0 when a task entry is valid, else the TaskMemberExcluded reason.
    function _checkTaskEntry(
        uint256 taskId,
        uint32 round,
        address member,
        uint32 index,
        bytes32[] calldata publicInputs,
        bytes calldata proof
    ) private view returns (uint8) {
        if (publicInputs.length < 5) return 1;
        uint256 columns = uint256(publicInputs[3]);
        if (columns == 0 || columns > 16) return 7;
        uint8 width = columns <= 4 ? 4 : 16;
        bytes32 kind = tasks.getTask(taskId).kind;
        HonkBinding memory v = honkVerifiers[kind][width];
        // Without a verifier nothing can be judged: revert rather than exclude.
        if (address(v.verifier) == address(0)) revert NoHonkVerifier(kind, width);
        if (publicInputs.length != v.inputs) return 1;
        if (uint256(publicInputs[1]) != index) return 2;
        if (uint256(publicInputs[2]) != taskBinding(taskId, round, member, keccak256(abi.encodePacked(publicInputs[v.outputsAt:]))))
            return 3;
        if (!data.hasRoot(member, publicInputs[0])) return 4;
        return _verifies(v.verifier, proof, publicInputs) ? 0 : 5;
    }

    /// @dev Runs the verifier with exactly VERIFY_GAS: a caller that sends too little gas is refused
    /// (OutOfGas) rather than having an honest proof fail for want of gas and its member excluded.
    function _verifies(IHonkVerifier verifier, bytes calldata proof, bytes32[] calldata publicInputs) private view returns (bool) {
        // 63/64 of what is left is forwarded: require enough that the verifier gets all of VERIFY_GAS.
        if (gasleft() < VERIFY_GAS + VERIFY_GAS / 63 + 20_000) revert OutOfGas(VERIFY_GAS + VERIFY_GAS / 63 + 20_000);
        try verifier.verify{gas: VERIFY_GAS}(proof, publicInputs) returns (bool ok) {
            return ok;
        } catch {
            return false;
        }
    }

    /// @dev 0 when the entry is valid, else the MemberExcluded reason.
    function _check(bytes32 key, Round storage r, address member, uint32 index, bytes32[] calldata publicInputs, bytes calldata proof)
        private
        view
        returns (uint8)
    {
        if (publicInputs.length != r.inputs) return 1;
        if (uint256(publicInputs[1]) != index) return 2;
        if (uint256(publicInputs[2]) != bindingOf(key, member)) return 3;
        if (!data.hasRoot(member, publicInputs[0])) return 4;
        return _verifies(r.verifier, proof, publicInputs) ? 0 : 5;
    }
}
