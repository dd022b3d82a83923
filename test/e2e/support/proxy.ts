/**
 * A plain HTTP proxy between the browser and `wrangler dev` that a test can cut (every open
 * connection destroyed, the port closed, as when a network drops), or turn into a gateway that
 * answers every request with an error (as during a deploy), and restore. It records each
 * request's path and resume cursor, so a test can see how the page reconnected.
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface ProxiedRequest {
  method: string;
  url: string;
  lastEventId: string | undefined;
  at: number;
}

export interface CuttableProxy {
  origin: string;
  requests: ProxiedRequest[];
  cut(): Promise<void>;
  /** Drops the open connections and answers every request with `status` until restored. */
  refuse(status: number): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startProxy(target: string): Promise<CuttableProxy> {
  const upstream = new URL(target);
  const sockets = new Set<Socket>();
  const requests: ProxiedRequest[] = [];
  let refusing: number | null = null;
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? "", url: req.url ?? "", lastEventId: req.headers["last-event-id"] as string | undefined, at: Date.now() });
    if (refusing !== null) {
      res.writeHead(refusing, { "content-type": "text/plain" }).end("the gateway is refusing requests");
      return;
    }
    const forwarded = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on("error", () => res.destroy());
    req.pipe(forwarded);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  const listen = (port: number) => new Promise<number>((resolve) => server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
  const port = await listen(0);
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    cut: stop,
    refuse(status) {
      refusing = status;
      for (const socket of sockets) socket.destroy();
    },
    async restore() {
      refusing = null;
      if (!server.listening) await listen(port);
    },
    close: stop,
  };
}
