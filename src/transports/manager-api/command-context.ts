import type { Core } from '../../core/core';
import type { ManagerSession } from '../../core/managers/manager-store';
import type { ManagerAnswer } from './manager-errors';
import type { SyncWork } from './sync-commands';

/** The part of the core's front door the manager commands use. */
export type ManagerCommandCore = Pick<Core, 'accounts' | 'finance' | 'managers'>;

/** The channels a connection can subscribe to. */
export const SUBSCRIBABLE_CHANNELS = ['trade:event'] as const;
export type SubscribableChannel = (typeof SUBSCRIBABLE_CHANNELS)[number];

/** What a command's handler is given: the core, who sends it, and what its connection offers. */
export interface CommandContext {
  core: ManagerCommandCore;
  /** The session of `__token`, or of the connection's Login. */
  session: ManagerSession | null;
  /** The peer's address (failed logins are limited per address). */
  address: string;
  /** Subscribe: the connection receives these channels' events from now on; resolves with all of its channels. */
  subscribe(channels: readonly SubscribableChannel[]): Promise<string[]>;
  /** A Sync command is answered by the event its own transaction writes (sync-commands.ts). */
  answerWithOwnEvent(work: SyncWork): Promise<ManagerAnswer>;
}

export interface CommandResult extends ManagerAnswer {
  /** Login adopts this session for the rest of the connection. */
  adoptSession?: ManagerSession;
}

/**
 * Who may run a command. `refusedAs` is the error name of its permission refusals (a finance command
 * names its family: docs/manager-api.md#permissions); other commands answer their refusals' own names.
 */
export interface Permission {
  readonly needs: 'nothing' | 'a session' | 'a money role';
  readonly refusedAs?: string;
}

export const ANYONE: Permission = { needs: 'nothing' };
export const ANY_SESSION: Permission = { needs: 'a session' };
/** SESSION_MANAGER, SESSION_ADMIN and SESSION_DEALER (`canMoveMoney`). */
export const moneyRole = (refusedAs: string): Permission => ({ needs: 'a money role', refusedAs });
