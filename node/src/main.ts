import { Command } from "commander";
import { ConfigError, loadConfig } from "./config.js";
import { startNode } from "./index.js";
import { closePool } from "./runtime/pool.js";

const program = new Command()
  .name("ciphermine-node")
  .description("Runs a ciphermine compute node: HTTP API, datasets and the round runtime")
  .option("-c, --config <file>", "JSON config file (CM_NODE_* environment variables override it)")
  .action(async (opts: { config?: string }) => {
    let node: Awaited<ReturnType<typeof startNode>>;
    try {
      node = await startNode(loadConfig({ file: opts.config }));
    } catch (e) {
      process.stderr.write(`${e instanceof ConfigError ? e.message : e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    }
    process.stdout.write(`node ${node.config.name} (${node.address}) serving ${node.url}\n`);
    const shutdown = () => {
      void node
        .stop()
        .then(closePool)
        .finally(() => process.exit(0));
    };
    process.once("SIGINT", shutdown);
    process.once("SIGTERM", shutdown);
  });

await program.parseAsync();
