import net from 'node:net';

/**
 * A TCP proxy in front of a real service that loses answers: the first `cutsLeft` connections carry
 * their request to the service, which processes it, and are cut as soon as its answer starts, so
 * the client never learns the outcome (the case the retry helper exists for).
 */
export class CuttingProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** Answers the proxy threw away. */
  cuts = 0;

  private constructor(
    private readonly targetPort: number,
    public cutsLeft: number,
  ) {
    this.server = net.createServer((client) => this.relay(client));
  }

  static async start(targetPort: number, cutsLeft: number): Promise<CuttingProxy> {
    const proxy = new CuttingProxy(targetPort, cutsLeft);
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private relay(client: net.Socket): void {
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined); // the other side is destroyed with it below
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream);
    if (this.cutsLeft > 0) {
      this.cutsLeft -= 1;
      upstream.once('data', () => {
        this.cuts += 1;
        client.resetAndDestroy();
      });
      return;
    }
    upstream.pipe(client);
  }
}
