import type { EventEmitter } from 'node:events';
import type { MaybePromise } from '../maybe-promise.js';
import type { SessionCache } from '../session/cache.js';
import { Session } from '../session/session.js';

/**
 * node:tls's external session cache, as a SessionCache: while the server has `newSession`
 * or `resumeSession` listeners, sessions go through them (serialised in OpenSSL's
 * i2d_SSL_SESSION form, so node:tls servers can share the same store); without listeners,
 * the context's own cache is used. As in node:tls, listeners replace the internal cache.
 */
export class NodeEventSessionCache implements SessionCache {
  private server: EventEmitter | undefined;

  /** Made before the server (it goes into the server's context); `listenOn` binds it. */
  constructor(private readonly internal: SessionCache | undefined) {}

  /** The server whose newSession/resumeSession listeners take over. */
  listenOn(server: EventEmitter): void {
    this.server = server;
  }

  private get external(): boolean {
    const server = this.server;
    return server !== undefined && (server.listenerCount('resumeSession') > 0 || server.listenerCount('newSession') > 0);
  }

  get(sessionId: Uint8Array): MaybePromise<Session | undefined> {
    const server = this.server;
    if (!server || !this.external) return this.internal?.get(sessionId);
    if (server.listenerCount('resumeSession') === 0) return undefined;
    return new Promise((resolve) => {
      let answered = false;
      server.emit('resumeSession', Buffer.from(sessionId), (err: Error | null, data?: Uint8Array | null) => {
        if (answered) return;
        answered = true;
        if (err || !data || data.length === 0) {
          resolve(undefined);
          return;
        }
        try {
          resolve(Session.fromDER(data));
        } catch {
          resolve(undefined); // a damaged entry in somebody's store is a miss, never a crash
        }
      });
    });
  }

  set(session: Session): MaybePromise<void> {
    const server = this.server;
    if (!server || !this.external) return this.internal?.set(session);
    if (server.listenerCount('newSession') === 0) return;
    // node:tls holds the handshake's last flight until the listener calls back.
    return new Promise((resolve) => {
      let answered = false;
      server.emit('newSession', Buffer.from(session.sessionId), Buffer.from(session.toDER()), () => {
        if (answered) return;
        answered = true;
        resolve();
      });
    });
  }

  delete(sessionId: Uint8Array): MaybePromise<void> {
    if (!this.external) return this.internal?.delete(sessionId);
  }

  get size(): number | undefined {
    return this.external ? undefined : this.internal?.size;
  }

  get cacheFull(): number {
    return this.internal?.cacheFull ?? 0;
  }
}
