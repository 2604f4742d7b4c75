import type { EventListener, EventRelay } from '../../core/events/event-relay';

/** How long the relay keeps reading after its last user left (avoids churn between Sync commands). */
export const RELAY_LINGER_MS = 60_000;

/**
 * Keeps this instance's event relay reading while the manager API needs events (subscribers or Sync
 * waiters), and for a while after.
 */
export class EventHub {
  private users = 0;
  private stopListening: (() => void) | undefined;
  private starting: Promise<void> | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly relay: EventRelay,
    private readonly onEvent: EventListener,
  ) {}

  /** Resolves once every event committed from now on will reach `onEvent`; returns the release. */
  async acquire(): Promise<() => void> {
    this.users += 1;
    clearTimeout(this.lingerTimer);
    if (!this.stopListening) {
      this.starting ??= this.relay.listen(this.onEvent).then((stop) => {
        this.stopListening = stop;
        this.starting = undefined;
      });
      try {
        await this.starting;
      } catch (error) {
        this.starting = undefined;
        this.users -= 1;
        throw error;
      }
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.users -= 1;
      if (this.users === 0) {
        this.lingerTimer = setTimeout(() => this.close(), RELAY_LINGER_MS);
        this.lingerTimer.unref();
      }
    };
  }

  close(): void {
    clearTimeout(this.lingerTimer);
    this.stopListening?.();
    this.stopListening = undefined;
  }
}
