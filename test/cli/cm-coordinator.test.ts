import { cmSuite } from "./cm-suite.js";

cmSuite("coordinator");
