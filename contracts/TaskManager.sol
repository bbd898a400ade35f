// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {BadInput, NotRegistered, MissingRole, Unauthorized} from "./Errors.sol";
import {NodeRegistry} from "./NodeRegistry.sol";
import {DataRegistry} from "./DataRegistry.sol";

/// @title TaskManager
/// @notice Tasks, their rounds and the phases of each round, driven by submissions and deadlines.
/// @dev Phase numbers, role bits and verification levels are those of protocol/src/phases.ts; event
/// names and fields are those of protocol/src/events.ts. Every transaction does O(1) work: silent
/// members are dropped by counting (who submitted in the previous phase), never by looping.
contract TaskManager {
    enum Phase {
        None,
        Join,
        Setup,
        Compute,
        Aggregate,
        Finalized,
        Failed
    }

    /// @notice Verification level: contributions carry no proof.
    uint8 public constant VERIFY_NONE = 0;
    /// @notice Verification level: the connector checks proofs off-chain.
    uint8 public constant VERIFY_OFFCHAIN = 1;
    /// @notice Verification level: Compute contributions carry a Groth16 proof checked here.
    uint8 public constant VERIFY_ONCHAIN = 2;
    /// @notice BN254 scalar field order, the modulus of Groth16 public inputs.
    uint256 public constant SNARK_FIELD = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001;
    /// @dev Largest public-signal count setVerifier recognises in a selector.
    uint256 internal constant MAX_PUBLIC = 64;

    struct Task {
        address requester;
        uint32 rounds;
        uint32 currentRound;
        uint32 minMembers;
        bytes32 kind;
        bytes32 specHash;
        uint32 maxMembers;
        uint32 threshold;
        uint32 joinSeconds;
        uint32 setupSeconds;
        uint32 computeSeconds;
        uint32 aggregateSeconds;
        bool setup;
        uint8 verification;
        bool closed;
    }

    struct Round {
        Phase phase;
        uint64 deadline;
        uint32 joined;
        uint32 active;
        uint32 submitted;
        bytes32 resultHash;
    }

    // 26 bytes already share one slot; the field order is the public `verifiers` getter's ABI.
    // solhint-disable-next-line gas-struct-packing
    struct Verifier {
        address verifier;
        bytes4 selector;
        uint16 publicSignals;
    }

    error NoVerifier(bytes32 kind);
    error UnknownTask(uint256 taskId);
    error UnknownRound(uint256 taskId, uint32 round);
    error WrongPhase(uint8 phase);
    error DeadlinePassed(uint64 deadline);
    error DeadlineNotPassed(uint64 deadline);
    error AlreadyJoined(address member);
    error RoundFull(uint32 maxMembers);
    error NotMember(address member);
    error AlreadySubmitted(address member);
    error NotRequester(address requester);
    error RoundNotFinished(uint32 round);
    error NoRoundsLeft(uint32 rounds);
    error TaskAlreadyClosed(uint256 taskId);
    error InvalidProof();
    error BadBinding(string what);
    /// @notice The task names the nodes that may join its rounds, and the caller is not one of them.
    error NotAllowed(address member);
    /// @notice The requester excluded the caller from the task (e.g. a worker caught submitting a wrong output).
    error Excluded(address member);
    /// @notice The requester already fixed the member list of this spec.
    error AlreadyRestricted(bytes32 specHash);

    /// @notice A verifier was bound to a task kind, or unbound (zero address).
    /// @param kind keccak256 of the task kind's name.
    /// @param verifier The verifier contract, or zero when unbound.
    event VerifierSet(bytes32 indexed kind, address verifier);
    /// @notice A task was created; its first round starts in the same transaction.
    /// @param taskId The new task's id.
    /// @param requester The address that created it.
    /// @param kind keccak256 of the task kind's name.
    /// @param specHash keccak256 of the canonical task spec.
    /// @param rounds Number of rounds.
    event TaskCreated(uint256 indexed taskId, address indexed requester, bytes32 indexed kind, bytes32 specHash, uint32 rounds);
    /// @notice A round opened its Join phase.
    /// @param taskId The task.
    /// @param round The round.
    /// @param deadline Unix time the Join phase ends.
    event RoundStarted(uint256 indexed taskId, uint32 round, uint64 deadline);
    /// @notice A member joined a round.
    /// @param taskId The task.
    /// @param round The round.
    /// @param member The member's address.
    /// @param memberKey The member's per-round public key.
    event MemberJoined(uint256 indexed taskId, uint32 round, address indexed member, bytes32 memberKey);
    /// @notice A round entered its next phase.
    /// @param taskId The task.
    /// @param round The round.
    /// @param phase The phase entered (protocol/src/phases.ts numbering).
    /// @param deadline Unix time that phase ends.
    /// @param active Members still taking part.
    event PhaseAdvanced(uint256 indexed taskId, uint32 round, uint8 phase, uint64 deadline, uint32 active);
    /// @notice A member submitted its contribution in a phase.
    /// @param taskId The task.
    /// @param round The round.
    /// @param phase The phase it was submitted in.
    /// @param member The member's address.
    /// @param blobHash keccak256 of the payload in the blob store.
    /// @param commitment Commitment to the contribution.
    event ContributionSubmitted(
        uint256 indexed taskId,
        uint32 round,
        uint8 phase,
        address indexed member,
        bytes32 blobHash,
        bytes32 commitment
    );
    /// @notice The requester recorded a round's result.
    /// @param taskId The task.
    /// @param round The round.
    /// @param resultHash Hash of the round's result blob.
    event RoundFinalized(uint256 indexed taskId, uint32 round, bytes32 resultHash);
    /// @notice A round failed.
    /// @param taskId The task.
    /// @param round The round.
    /// @param phase The phase it failed in.
    /// @param reason Why, e.g. "below-threshold".
    event RoundFailed(uint256 indexed taskId, uint32 round, uint8 phase, string reason);
    /// @notice A task ended: "last-round" when its last round was finalized, otherwise the
    /// requester's reason for closing it early (e.g. "converged").
    /// @param taskId The task.
    /// @param reason "last-round" or the requester's reason.
    event TaskClosed(uint256 indexed taskId, string reason);
    /// @notice A node says why it does not take part in a round: status 1 = declined (its policy
    /// or admission refused the task), 2 = failed (it joined and its computation failed). The
    /// author is msg.sender, so the requester trusts the reason as much as the node's key.
    /// @param taskId The task.
    /// @param round The round.
    /// @param member The reporting node.
    /// @param status 1 declined, 2 failed.
    /// @param reason Why, 1 to 200 bytes.
    event MemberReported(uint256 indexed taskId, uint32 round, address indexed member, uint8 status, string reason);

    /// @notice The only nodes that may join the rounds of the requester's tasks with this spec.
    /// @param requester The requester that will create the task(s).
    /// @param specHash The spec's blob hash (the spec names the same members).
    /// @param members The allowed nodes, 1 to MAX_ALLOWED.
    event MembersRestricted(address indexed requester, bytes32 indexed specHash, address[] members);

    /// @notice A member is left out of every later round of a task (it cannot join again).
    /// @param taskId The task.
    /// @param round The task's current round when excluded.
    /// @param member The excluded node.
    /// @param reason Why, 1 to 200 bytes (e.g. "output hash differs from the owner's re-run of round 3").
    event MemberExcluded(uint256 indexed taskId, uint32 round, address indexed member, string reason);

    /// @notice Most members a spec's allow list may name (the list is written once, in one transaction).
    uint256 public constant MAX_ALLOWED = 32;

    /// @notice The deployer; the only address that may bind verifiers to task kinds.
    address public immutable owner;
    /// @notice Registry that holds roles.
    NodeRegistry public immutable nodes;
    /// @notice Registry that holds committed dataset roots.
    DataRegistry public immutable data;

    /// @notice Number of tasks created; task ids run from 1 to taskCount.
    uint256 public taskCount;
    /// @notice Unix time of a node's last join or submission.
    mapping(address => uint64) public lastActive;
    /// @notice The verifier bound to each task kind (keccak256 of the kind name).
    mapping(bytes32 => Verifier) public verifiers;

    mapping(uint256 => Task) private _tasks;
    mapping(uint256 => mapping(uint32 => Round)) private _rounds;
    // The last phase a member took part in (Join when it joined); a member is still active in a
    // phase when this is the submission phase just before it, which makes dropping silent members free.
    mapping(uint256 => mapping(uint32 => mapping(address => Phase))) private _lastPhase;
    /// @dev Whether a node reported (declined or failed) in a round: one report each.
    mapping(uint256 => mapping(uint32 => mapping(address => bool))) private _reported;
    // Keyed by (requester, specHash), not taskId: the list must exist before createTask opens round
    // 1's Join, or any Worker could take a seat between the two transactions.
    mapping(address => mapping(bytes32 => bool)) private _restricted;
    mapping(address => mapping(bytes32 => mapping(address => bool))) private _allowed;
    mapping(uint256 => mapping(address => bool)) private _excluded;
    // Member lists and contributions (blob hash, commitment) live in the MemberJoined and
    // ContributionSubmitted events only: storing them cost ~66k gas per member per round and no
    // transaction reads them. The one exception is below.
    /// @notice The Compute commitment of an OffChain (UltraHonk) task's member: the Merkle root of its
    /// list of group proofs, which ChunkAudit opens when someone challenges an entry (zero: none).
    mapping(uint256 => mapping(uint32 => mapping(address => bytes32))) public proofsRootOf;

    /// @notice Deploys the task manager; the deployer becomes its owner.
    /// @param nodeRegistry Registry that holds roles.
    /// @param dataRegistry Registry that holds committed dataset roots.
    constructor(NodeRegistry nodeRegistry, DataRegistry dataRegistry) {
        owner = msg.sender;
        nodes = nodeRegistry;
        data = dataRegistry;
    }

    // ------------------------------------------------------------------ verifiers

    /// @notice Binds the Groth16 verifier used for every OnChain task of `kind`, or unbinds it
    /// with the zero address. Only the owner may call it; a task creator never picks a verifier.
    /// @param kind keccak256 of the task kind's name.
    /// @param verifier The snarkjs-generated verifier contract (or zero to remove).
    /// @param selector Selector of its verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[N]).
    function setVerifier(bytes32 kind, address verifier, bytes4 selector) external {
        if (msg.sender != owner) revert Unauthorized(msg.sender);
        if (verifier == address(0)) {
            delete verifiers[kind];
        } else {
            if (verifier.code.length == 0) revert BadInput("verifier must be a deployed contract");
            // N is read back from the selector so the proof length is fixed by the owner, not by the
            // submitter: with a caller-chosen N, words appended after the real public signals would
            // be checked as binding and root while the verifier ignored them.
            uint16 n = _publicSignalsOf(selector);
            verifiers[kind] = Verifier(verifier, selector, n);
        }
        emit VerifierSet(kind, verifier);
    }

    function _publicSignalsOf(bytes4 selector) private pure returns (uint16) {
        for (uint256 n = 3; n <= MAX_PUBLIC; ++n) {
            bytes4 s = bytes4(
                keccak256(
                    abi.encodePacked("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[", _decimal(n), "])")
                )
            );
            if (s == selector) return uint16(n);
        }
        revert BadInput("selector must be verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[N]) with 3 <= N <= 64");
    }

    function _decimal(uint256 v) private pure returns (bytes memory) {
        if (v < 10) return abi.encodePacked(bytes1(uint8(48 + v)));
        return abi.encodePacked(bytes1(uint8(48 + v / 10)), bytes1(uint8(48 + (v % 10))));
    }

    // ------------------------------------------------------------------ tasks and rounds

    /// @notice Creates a task and starts its first round.
    /// @param specHash keccak256 of the canonical task spec (stored off-chain in the blob store).
    /// @param kind keccak256 of the task kind's name.
    /// @param rounds Number of rounds (at least 1).
    /// @param minMembers Fewest members for a round to leave Join.
    /// @param maxMembers Most members; Join ends at once when reached.
    /// @param threshold Fewest members that must survive each submission phase.
    /// @param deadlines Seconds allowed for join, setup, compute and aggregate.
    /// @param setup Whether rounds have a Setup phase.
    /// @param verification 0 none, 1 off-chain, 2 on-chain (needs a verifier for `kind`).
    /// @return taskId The new task's id (1-based).
    function createTask(
        bytes32 specHash,
        bytes32 kind,
        uint32 rounds,
        uint32 minMembers,
        uint32 maxMembers,
        uint32 threshold,
        uint32[4] calldata deadlines,
        bool setup,
        uint8 verification
    ) external returns (uint256 taskId) {
        _requireRole(4);
        if (rounds == 0) revert BadInput("rounds must be at least 1");
        if (threshold == 0) revert BadInput("threshold must be at least 1");
        if (threshold > minMembers) revert BadInput("threshold must not exceed minMembers");
        if (minMembers > maxMembers) revert BadInput("minMembers must not exceed maxMembers");
        for (uint256 i = 0; i < 4; ++i) {
            if (deadlines[i] == 0) revert BadInput("deadlines must be at least 1 second each");
        }
        if (verification > VERIFY_ONCHAIN) revert BadInput("verification must be 0 none, 1 offchain or 2 onchain");
        if (verification == VERIFY_ONCHAIN && verifiers[kind].verifier == address(0)) revert NoVerifier(kind);
        taskId = ++taskCount;
        Task storage t = _tasks[taskId];
        t.requester = msg.sender;
        t.rounds = rounds;
        t.minMembers = minMembers;
        t.kind = kind;
        t.specHash = specHash;
        t.maxMembers = maxMembers;
        t.threshold = threshold;
        t.joinSeconds = deadlines[0];
        t.setupSeconds = deadlines[1];
        t.computeSeconds = deadlines[2];
        t.aggregateSeconds = deadlines[3];
        t.setup = setup;
        t.verification = verification;
        emit TaskCreated(taskId, msg.sender, kind, specHash, rounds);
        _beginRound(taskId, t);
    }

    /// @notice Starts the next round of a task once the previous one is finalized or failed.
    /// @param taskId The task.
    /// @return round The new round number.
    function startRound(uint256 taskId) external returns (uint32 round) {
        Task storage t = _task(taskId);
        if (t.requester != msg.sender) revert NotRequester(t.requester);
        Phase p = _rounds[taskId][t.currentRound].phase;
        if (p != Phase.Finalized && p != Phase.Failed) revert RoundNotFinished(t.currentRound);
        if (t.currentRound >= t.rounds) revert NoRoundsLeft(t.rounds);
        if (t.closed) revert TaskAlreadyClosed(taskId);
        round = _beginRound(taskId, t);
    }

    /// @notice Ends a task before its last round, e.g. once an iterative kind converged, so that
    /// everyone following it sees it end. Requester only, between rounds.
    /// @param taskId The task.
    /// @param reason Why it ends (short, e.g. "converged"); carried by TaskClosed.
    function closeTask(uint256 taskId, string calldata reason) external {
        Task storage t = _task(taskId);
        if (t.requester != msg.sender) revert NotRequester(t.requester);
        if (t.closed) revert TaskAlreadyClosed(taskId);
        Phase p = _rounds[taskId][t.currentRound].phase;
        if (p != Phase.Finalized && p != Phase.Failed) revert RoundNotFinished(t.currentRound);
        if (bytes(reason).length == 0 || bytes(reason).length > 200) revert BadInput("reason must be 1 to 200 bytes");
        t.closed = true;
        emit TaskClosed(taskId, reason);
    }

    /// @notice Reports why the caller declined a round (status 1; any Owner or Worker node) or
    /// failed in it (status 2; members of the round only). One report per node and round; the
    /// reason is 1 to 200 bytes. Costs only the reporting node's gas; nothing reads it on-chain.
    /// @param taskId The task.
    /// @param round The round (1 to the current round).
    /// @param status 1 declined, 2 failed.
    /// @param reason Why, for the requester (e.g. "secagg needs setup: true").
    function report(uint256 taskId, uint32 round, uint8 status, string calldata reason) external {
        _round(taskId, round);
        _requireRole(3);
        if (status != 1 && status != 2) revert BadInput("status must be 1 (declined) or 2 (failed)");
        if (bytes(reason).length == 0 || bytes(reason).length > 200) revert BadInput("reason must be 1 to 200 bytes");
        if (status == 2 && _lastPhase[taskId][round][msg.sender] == Phase.None) revert NotMember(msg.sender);
        if (_reported[taskId][round][msg.sender]) revert AlreadySubmitted(msg.sender);
        _reported[taskId][round][msg.sender] = true;
        emit MemberReported(taskId, round, msg.sender, status, reason);
    }

    /// @notice Fixes, once, the only nodes that may join the rounds of the caller's tasks whose spec
    /// hashes to `specHash`. Call it before createTask: the outsourced kinds name their workers in
    /// the spec, so a random Worker cannot take the slot and stall the round.
    /// @param specHash The spec's blob hash.
    /// @param members The allowed nodes, 1 to MAX_ALLOWED, none the zero address.
    function restrictMembers(bytes32 specHash, address[] calldata members) external {
        _requireRole(4);
        uint256 n = members.length;
        if (n == 0 || n > MAX_ALLOWED) revert BadInput("members must name 1 to 32 nodes");
        if (_restricted[msg.sender][specHash]) revert AlreadyRestricted(specHash);
        _restricted[msg.sender][specHash] = true;
        mapping(address => bool) storage allowed = _allowed[msg.sender][specHash];
        for (uint256 i = 0; i < n; ++i) {
            if (members[i] == address(0)) revert BadInput("members must not include the zero address");
            allowed[members[i]] = true;
        }
        emit MembersRestricted(msg.sender, specHash, members);
    }

    /// @notice Leaves `member` out of every later round of the task: the requester's verdict after
    /// arbitration (a replica whose output hash differed from the owner's re-run). Requester only.
    /// @param taskId The task.
    /// @param member The node to exclude.
    /// @param reason Why, 1 to 200 bytes.
    function excludeMember(uint256 taskId, address member, string calldata reason) external {
        Task storage t = _task(taskId);
        if (t.requester != msg.sender) revert NotRequester(t.requester);
        if (bytes(reason).length == 0 || bytes(reason).length > 200) revert BadInput("reason must be 1 to 200 bytes");
        if (_excluded[taskId][member]) revert Excluded(member);
        _excluded[taskId][member] = true;
        emit MemberExcluded(taskId, t.currentRound, member, reason);
    }

    /// @notice Whether `member` may join the task's rounds as far as the allow list and exclusions go
    /// (its role, the phase and free seats are checked by joinRound).
    /// @param taskId The task.
    /// @param member The node.
    /// @return Whether it is allowed.
    function mayJoin(uint256 taskId, address member) external view returns (bool) {
        Task storage t = _task(taskId);
        return _mayJoin(taskId, t, member);
    }

    /// @notice Whether the requester fixed the member list of a spec.
    /// @param requester The requester.
    /// @param specHash The spec's blob hash.
    /// @return Whether restrictMembers was called for them.
    function isRestricted(address requester, bytes32 specHash) external view returns (bool) {
        return _restricted[requester][specHash];
    }

    function _mayJoin(uint256 taskId, Task storage t, address member) private view returns (bool) {
        if (_excluded[taskId][member]) return false;
        return !_restricted[t.requester][t.specHash] || _allowed[t.requester][t.specHash][member];
    }

    function _beginRound(uint256 taskId, Task storage t) private returns (uint32 round) {
        round = t.currentRound + 1;
        t.currentRound = round;
        Round storage r = _rounds[taskId][round];
        r.phase = Phase.Join;
        uint64 deadline = uint64(block.timestamp) + t.joinSeconds;
        r.deadline = deadline;
        emit RoundStarted(taskId, round, deadline);
    }

    /// @notice Joins a round in its Join phase as a data owner or worker.
    /// @param taskId The task.
    /// @param round The round.
    /// @param memberKey The member's per-round public key (for pairwise masks).
    function joinRound(uint256 taskId, uint32 round, bytes32 memberKey) external {
        (Task storage t, Round storage r) = _round(taskId, round);
        if (r.phase != Phase.Join) revert WrongPhase(uint8(r.phase));
        if (block.timestamp > r.deadline) revert DeadlinePassed(r.deadline);
        _requireRole(3);
        if (_excluded[taskId][msg.sender]) revert Excluded(msg.sender);
        if (_restricted[t.requester][t.specHash] && !_allowed[t.requester][t.specHash][msg.sender]) revert NotAllowed(msg.sender);
        mapping(address => Phase) storage last = _lastPhase[taskId][round];
        if (last[msg.sender] != Phase.None) revert AlreadyJoined(msg.sender);
        uint32 joined = r.joined;
        if (joined >= t.maxMembers) revert RoundFull(t.maxMembers);
        last[msg.sender] = Phase.Join;
        ++joined;
        r.joined = joined;
        lastActive[msg.sender] = uint64(block.timestamp);
        emit MemberJoined(taskId, round, msg.sender, memberKey);
        if (joined == t.maxMembers) _leaveJoin(taskId, round, t, r);
    }

    /// @notice Submits the caller's contribution in the round's current phase.
    /// @param taskId The task.
    /// @param round The round.
    /// @param blobHash keccak256 of the payload in the blob store.
    /// @param commitment Commitment to the contribution (keccak256 of the proven outputs when proven).
    /// @param proof Empty, or for OnChain tasks in Compute: abi.encode(a, b, c) followed by the N
    /// public signals, exactly the verifier's calldata after its selector.
    function submit(uint256 taskId, uint32 round, bytes32 blobHash, bytes32 commitment, bytes calldata proof)
        external
    {
        (Task storage t, Round storage r) = _round(taskId, round);
        Phase phase = r.phase;
        if (phase != Phase.Setup && phase != Phase.Compute && phase != Phase.Aggregate) revert WrongPhase(uint8(phase));
        if (block.timestamp > r.deadline) revert DeadlinePassed(r.deadline);
        mapping(address => Phase) storage last = _lastPhase[taskId][round];
        Phase mine = last[msg.sender];
        if (mine == phase) revert AlreadySubmitted(msg.sender);
        if (mine == Phase.None || mine != _previous(phase, t.setup)) revert NotMember(msg.sender);
        if (phase == Phase.Compute && t.verification == VERIFY_ONCHAIN) {
            _checkProof(taskId, round, t.kind, commitment, proof);
        } else if (phase == Phase.Compute && t.verification == VERIFY_OFFCHAIN) {
            // ~22k gas: the one contribution a transaction reads (ChunkAudit.challengeTask).
            proofsRootOf[taskId][round][msg.sender] = commitment;
        }
        last[msg.sender] = phase;
        uint32 submitted = r.submitted + 1;
        r.submitted = submitted;
        lastActive[msg.sender] = uint64(block.timestamp);
        emit ContributionSubmitted(taskId, round, uint8(phase), msg.sender, blobHash, commitment);
        if (phase != Phase.Aggregate && submitted == r.active) _leaveSubmission(taskId, round, t, r);
    }

    /// @notice Moves a round past its expired deadline; anyone may call it.
    /// @param taskId The task.
    /// @param round The round.
    function advance(uint256 taskId, uint32 round) external {
        (Task storage t, Round storage r) = _round(taskId, round);
        Phase phase = r.phase;
        if (phase == Phase.None || phase == Phase.Finalized || phase == Phase.Failed) revert WrongPhase(uint8(phase));
        if (block.timestamp <= r.deadline) revert DeadlineNotPassed(r.deadline);
        if (phase == Phase.Join) _leaveJoin(taskId, round, t, r);
        else if (phase == Phase.Aggregate) _fail(taskId, round, r, "aggregate-timeout");
        else _leaveSubmission(taskId, round, t, r);
    }

    /// @notice Records the result of a round in Aggregate (requester only, before the deadline).
    /// @param taskId The task.
    /// @param round The round.
    /// @param resultHash Hash of the round's result blob.
    function finalizeRound(uint256 taskId, uint32 round, bytes32 resultHash) external {
        (Task storage t, Round storage r) = _round(taskId, round);
        if (t.requester != msg.sender) revert NotRequester(t.requester);
        if (r.phase != Phase.Aggregate) revert WrongPhase(uint8(r.phase));
        if (block.timestamp > r.deadline) revert DeadlinePassed(r.deadline);
        r.phase = Phase.Finalized;
        r.submitted = 0;
        r.resultHash = resultHash;
        emit RoundFinalized(taskId, round, resultHash);
        if (round == t.rounds) {
            t.closed = true;
            emit TaskClosed(taskId, "last-round");
        }
    }

    // ------------------------------------------------------------------ phase transitions

    function _leaveJoin(uint256 taskId, uint32 round, Task storage t, Round storage r) private {
        uint32 joined = r.joined;
        if (joined < t.minMembers) _fail(taskId, round, r, "too-few-joined");
        else _enter(taskId, round, t, r, t.setup ? Phase.Setup : Phase.Compute, joined);
    }

    function _leaveSubmission(uint256 taskId, uint32 round, Task storage t, Round storage r) private {
        // Members who stayed silent keep an older lastPhase, so they drop out without a loop.
        uint32 active = r.submitted;
        if (active < t.threshold) {
            r.active = active;
            _fail(taskId, round, r, "below-threshold");
        } else {
            _enter(taskId, round, t, r, r.phase == Phase.Setup ? Phase.Compute : Phase.Aggregate, active);
        }
    }

    function _enter(uint256 taskId, uint32 round, Task storage t, Round storage r, Phase phase, uint32 active) private {
        uint32 secs = phase == Phase.Setup ? t.setupSeconds : phase == Phase.Compute ? t.computeSeconds : t.aggregateSeconds;
        uint64 deadline = uint64(block.timestamp) + secs;
        r.phase = phase;
        r.deadline = deadline;
        r.active = active;
        r.submitted = 0;
        emit PhaseAdvanced(taskId, round, uint8(phase), deadline, active);
    }

    function _fail(uint256 taskId, uint32 round, Round storage r, string memory reason) private {
        Phase phase = r.phase;
        r.phase = Phase.Failed;
        r.submitted = 0;
        emit RoundFailed(taskId, round, uint8(phase), reason);
    }

    function _previous(Phase phase, bool setup) private pure returns (Phase) {
        if (phase == Phase.Setup) return Phase.Join;
        if (phase == Phase.Compute) return setup ? Phase.Setup : Phase.Join;
        return Phase.Compute;
    }

    // ------------------------------------------------------------------ proofs

    function _checkProof(
        uint256 taskId,
        uint32 round,
        bytes32 kind,
        bytes32 commitment,
        bytes calldata proof
    ) private view {
        Verifier memory v = verifiers[kind];
        if (v.verifier == address(0)) revert NoVerifier(kind);
        uint256 n = v.publicSignals;
        if (proof.length != 256 + 32 * n) revert InvalidProof();
        uint256 bindingAt = 256 + 32 * (n - 2);
        uint256 binding = uint256(bytes32(proof[bindingAt:bindingAt + 32]));
        uint256 expected = uint256(
            keccak256(abi.encode(address(this), block.chainid, taskId, uint256(round), msg.sender, commitment))
        ) % SNARK_FIELD;
        if (binding != expected) revert BadBinding("binding");
        if (keccak256(proof[256:bindingAt]) != commitment) revert BadBinding("commitment");
        bytes32 root = bytes32(proof[bindingAt + 32:bindingAt + 64]);
        if (!data.hasRoot(msg.sender, root)) revert BadBinding("root");
        (bool ok, bytes memory ret) = v.verifier.staticcall(abi.encodePacked(v.selector, proof));
        if (!ok || ret.length != 32 || abi.decode(ret, (uint256)) != 1) revert InvalidProof();
    }

    // ------------------------------------------------------------------ helpers

    function _requireRole(uint8 mask) private view {
        uint8 roles = nodes.rolesOf(msg.sender);
        if (roles == 0) revert NotRegistered(msg.sender);
        if (roles & mask == 0) revert MissingRole(msg.sender, mask);
    }

    function _task(uint256 taskId) private view returns (Task storage t) {
        t = _tasks[taskId];
        if (t.requester == address(0)) revert UnknownTask(taskId);
    }

    function _round(uint256 taskId, uint32 round) private view returns (Task storage t, Round storage r) {
        t = _task(taskId);
        if (round == 0 || round > t.currentRound) revert UnknownRound(taskId, round);
        r = _rounds[taskId][round];
    }

    // ------------------------------------------------------------------ views

    /// @notice A task's record; reverts UnknownTask when it does not exist.
    /// @param taskId The task.
    /// @return The task.
    function getTask(uint256 taskId) external view returns (Task memory) {
        return _task(taskId);
    }

    /// @notice A round's state; reverts UnknownTask or UnknownRound when absent.
    /// @param taskId The task.
    /// @param round The round.
    /// @return The round.
    function getRound(uint256 taskId, uint32 round) external view returns (Round memory) {
        (, Round storage r) = _round(taskId, round);
        return r;
    }

    /// @notice Whether `member` joined the round.
    /// @param taskId The task.
    /// @param round The round.
    /// @param member The address.
    /// @return True when it joined.
    function isMember(uint256 taskId, uint32 round, address member) external view returns (bool) {
        return _lastPhase[taskId][round][member] != Phase.None;
    }

    /// @notice The last phase `member` took part in (Join when it only joined, None when it did not).
    /// @param taskId The task.
    /// @param round The round.
    /// @param member The address.
    /// @return The phase number.
    function lastPhaseOf(uint256 taskId, uint32 round, address member) external view returns (uint8) {
        return uint8(_lastPhase[taskId][round][member]);
    }
}
