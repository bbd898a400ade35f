// Prints the node configuration table for the README: `npx tsx node/src/config-doc.ts`.
import { renderConfigTable } from "./config.js";

process.stdout.write(renderConfigTable() + "\n");
