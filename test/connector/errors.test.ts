import { describe, test, before } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { createServer as createTcpServer } from "node:net";
import { JsonRpcProvider, Network, Wallet } from "ethers";
import { ConnectorError, isRetryable, networkErrorCode } from "../../chain-connector/src/connector.js";
import { ConnectorClient } from "../../chain-connector/src/http/client.js";
import { isTransient, toConnectorError, withRetry } from "../../chain-connector/src/ethereum/rpc.js";

/** A loopback port nothing listens on: bound once, then closed. */
async function closedPort(): Promise<number> {
  const s = createTcpServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** A real HTTP server answering every request with `status` and `body`; counts the requests. */
async function answering(
  status: number,
  body: string | ((request: string) => string),
  type = "text/plain",
): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    hits++;
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      res.writeHead(status, { "content-type": type });
      res.end(typeof body === "string" ? body : body(Buffer.concat(chunks).toString()));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    hits: () => hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

const rpc = (url: string) => new JsonRpcProvider(url, Network.from(31337), { staticNetwork: true });

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail("expected the call to fail");
}

describe("errors are classified by class and code, not by message text", () => {
  const wallet = Wallet.createRandom() as unknown as Wallet;
  let port: number;
  before(async () => {
    port = await closedPort();
  });

  test("ConnectorError: Unavailable is retryable, refusals are not", () => {
    assert.equal(new ConnectorError("Unavailable", "down").retryable, true);
    for (const code of ["WrongPhase", "BadInput", "Forbidden", "AlreadySubmitted", "BlobHashMismatch"] as const) {
      assert.equal(new ConnectorError(code, "timeout ECONNREFUSED 503").retryable, false, code);
      assert.equal(isRetryable(new ConnectorError(code, "x")), false, code);
    }
    // The words of a network failure in a message make nothing retryable.
    assert.equal(isRetryable(new Error("fetch failed: ECONNREFUSED timeout 503")), false);
    assert.equal(isRetryable(new TypeError("fetch failed")), false);
    assert.equal(isTransient(new Error("socket hang up, timeout, 503")), false);
  });

  test("a refused TCP connection to a closed loopback port is retryable, through fetch and through the RPC provider", async () => {
    const viaFetch = await failure(fetch(`http://127.0.0.1:${port}/`));
    assert.equal(networkErrorCode(viaFetch), "ECONNREFUSED");
    assert.equal(isRetryable(viaFetch), true);

    const provider = rpc(`http://127.0.0.1:${port}`);
    try {
      const viaRpc = await failure(provider.send("eth_blockNumber", []));
      assert.equal(isTransient(viaRpc), true);
      const c = toConnectorError(viaRpc);
      assert.ok(c instanceof ConnectorError && c.code === "Unavailable" && c.retryable);
    } finally {
      provider.destroy();
    }
  });

  test("the connector client turns a refused connection into a retryable ConnectorError", async () => {
    const client = new ConnectorClient({ url: `http://127.0.0.1:${port}`, signer: wallet });
    const e = await failure(client.getTask(1));
    assert.ok(e instanceof ConnectorError, String(e));
    assert.equal(e.code, "Unavailable");
    assert.equal(isRetryable(e), true);
  });

  test("a 503 from a real HTTP server is retryable, from the connector client and from the RPC provider (which retries it)", async () => {
    const busy = await answering(503, "busy");
    try {
      const e = await failure(new ConnectorClient({ url: busy.url, signer: wallet }).getTask(1));
      assert.ok(e instanceof ConnectorError && e.code === "Unavailable" && e.retryable, String(e));

      const provider = rpc(busy.url);
      try {
        const before = busy.hits();
        const r = await failure(withRetry(() => provider.send("eth_blockNumber", []), 3, 1));
        assert.equal(isTransient(r), true);
        assert.equal(busy.hits() - before, 3, "three attempts");
      } finally {
        provider.destroy();
      }
    } finally {
      await busy.close();
    }
  });

  test("a refusal the server answers with its code is not retried, whatever its message says", async () => {
    const refusing = await answering(409, JSON.stringify({ code: "WrongPhase", message: "timeout: ECONNREFUSED 503" }), "application/json");
    try {
      const e = await failure(new ConnectorClient({ url: refusing.url, signer: wallet }).getTask(1));
      assert.ok(e instanceof ConnectorError && e.code === "WrongPhase", String(e));
      assert.equal(isRetryable(e), false);
    } finally {
      await refusing.close();
    }

    // A JSON-RPC error whose text names a timeout and a 503 is the node's answer, not an outage: one attempt.
    const rpcError = await answering(
      200,
      (request) => JSON.stringify({ jsonrpc: "2.0", id: (JSON.parse(request) as { id: number }).id, error: { code: -32000, message: "timeout 503 ECONNRESET" } }),
      "application/json",
    );
    const provider = rpc(rpcError.url);
    try {
      const before = rpcError.hits();
      const r = await failure(withRetry(() => provider.send("eth_blockNumber", []), 3, 1));
      assert.equal(isTransient(r), false);
      assert.equal(rpcError.hits() - before, 1, "one attempt");
    } finally {
      provider.destroy();
      await rpcError.close();
    }
  });
});
