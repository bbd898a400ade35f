import { cmSuite } from "./cm-suite.js";

// A file of its own (a Hardhat node per run), so that the test runner runs it beside the coordinator one.
cmSuite("ethereum");
