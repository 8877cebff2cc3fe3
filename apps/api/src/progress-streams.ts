/**
 * The progress streams (Server-Sent Events) of one API process. Streams of the same import share one feed:
 * one subscription to the progress channel, one poll timer and one re-read of the record, after which the
 * access of every stream is checked again (token not revoked; session not logged out or expired, its user
 * not disabled) and a stream that lost it is closed. Streams are capped per user (or token) and in all, and
 * live at most `maxLifetimeMs`: the browser's EventSource then reconnects and is authenticated anew.
 */
import type { Response } from 'express';
import type { Logger } from 'pino';
import type { ImportView } from '@importer/contracts';
import { FINISHED_STATUSES, type ApiTokensRepository, type ImportsRepository, type SessionsRepository } from '@importer/db';
import type { ProgressSubscriber } from '@importer/queue';
import { HttpError } from './errors';

/** What a stream's access rests on, re-checked at each re-read; the bootstrap token lasts as long as the process. */
export type StreamAccess = { kind: 'token'; tokenId: string } | { kind: 'session'; sid: string } | { kind: 'bootstrap' };

export interface ProgressStreamsDeps {
  imports: ImportsRepository;
  tokens: ApiTokensRepository;
  sessions: SessionsRepository;
  logger: Logger;
  /** Wakes the feeds when a worker commits a chunk; without it they only poll. */
  progress?: ProgressSubscriber;
  /** Re-reads the record this often anyway: status changes made elsewhere (cancel, a failed attempt). */
  pollMs: number;
  /** A comment line this often keeps proxies from closing an idle stream. */
  heartbeatMs: number;
  /** Streams one user or token may hold open. */
  perUser: number;
  /** Streams this process holds open in all. */
  total: number;
  /** A stream is closed (without `end`) after this long; the client reconnects. */
  maxLifetimeMs: number;
}

/** How long the client waits before it reconnects (the `retry:` field). */
const RECONNECT_MS = 3_000;

interface Stream {
  access: StreamAccess;
  res: Response;
  /** The last record sent, as sent: unchanged records are not sent again. */
  last: string;
  end(): void;
}

interface Feed {
  streams: Set<Stream>;
  stop(): void;
}

export function createProgressStreams(deps: ProgressStreamsDeps) {
  const feeds = new Map<string, Feed>();
  const perOwner = new Map<string, number>();
  let open = 0;

  /** Sends the record unless the stream already has it; a finished import ends the stream with `end`. */
  function send(stream: Stream, view: ImportView, data = JSON.stringify(view)) {
    if (data === stream.last) return;
    stream.last = data;
    stream.res.write(`event: import\ndata: ${data}\n\n`);
    if (FINISHED_STATUSES.includes(view.status)) {
      stream.res.write('event: end\ndata: {}\n\n');
      stream.end();
    }
  }

  /** The streams whose access still holds: one query per kind of credential, whatever the number of streams. */
  async function stillAllowed(streams: Stream[]): Promise<Set<Stream>> {
    const tokenIds = [...new Set(streams.flatMap((s) => (s.access.kind === 'token' ? [s.access.tokenId] : [])))];
    const sids = [...new Set(streams.flatMap((s) => (s.access.kind === 'session' ? [s.access.sid] : [])))];
    const [tokens, sessions] = await Promise.all([
      tokenIds.length ? deps.tokens.active(tokenIds) : new Set<string>(),
      sids.length ? deps.sessions.live(sids) : new Set<string>(),
    ]);
    return new Set(
      streams.filter(
        ({ access }) => access.kind === 'bootstrap' || (access.kind === 'token' ? tokens.has(access.tokenId) : sessions.has(access.sid)),
      ),
    );
  }

  function createFeed(importId: string): Feed {
    const streams = new Set<Stream>();
    let reading = false;
    let again = false;
    const endAll = () => {
      for (const stream of [...streams]) stream.end();
    };
    // One read at a time; wake-ups arriving meanwhile collapse into one more read.
    const refresh = async () => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      try {
        do {
          again = false;
          const view = await deps.imports.find(importId);
          if (!view) return endAll();
          const current = [...streams];
          const allowed = await stillAllowed(current);
          const data = JSON.stringify(view);
          for (const stream of current) {
            if (!streams.has(stream)) continue; // it ended while the record was read
            if (allowed.has(stream)) send(stream, view, data);
            else stream.end();
          }
        } while (again && streams.size > 0);
      } catch (error) {
        deps.logger.warn({ err: error, importId }, 'progress stream: reading the import failed');
      } finally {
        reading = false;
      }
    };
    const unwatch = deps.progress?.watch(importId, { changed: () => void refresh(), closed: endAll });
    const poll = setInterval(() => void refresh(), deps.pollMs);
    const heartbeat = setInterval(() => {
      for (const stream of streams) stream.res.write(': keep-alive\n\n');
    }, deps.heartbeatMs);
    return {
      streams,
      stop() {
        clearInterval(poll);
        clearInterval(heartbeat);
        unwatch?.();
      },
    };
  }

  return {
    /**
     * Opens a stream of `first` (the import as just read) for `owner`, or throws 429 `too_many_streams`
     * before anything is sent when the owner or the process is at its cap.
     */
    open({ first, owner, access, res }: { first: ImportView; owner: string; access: StreamAccess; res: Response }): void {
      const mine = perOwner.get(owner) ?? 0;
      const scope = mine >= deps.perUser ? 'user' : open >= deps.total ? 'all' : null;
      if (scope) {
        const limit = scope === 'user' ? deps.perUser : deps.total;
        res.set('Retry-After', String(RECONNECT_MS / 1000));
        const whose = scope === 'user' ? 'You have' : 'The server has';
        throw new HttpError(
          429,
          'too_many_streams',
          `${whose} ${limit} progress streams open, the most allowed; close a page that follows an import.`,
          {
            limit,
            scope,
          },
        );
      }
      perOwner.set(owner, mine + 1);
      open++;

      res.status(200).set({
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        'X-Accel-Buffering': 'no',
      });
      res.flushHeaders();
      res.write(`retry: ${RECONNECT_MS}\n\n`);

      let feed = feeds.get(first.id);
      if (!feed) feeds.set(first.id, (feed = createFeed(first.id)));
      const joined = feed;
      let ended = false;
      const stream: Stream = {
        access,
        res,
        last: '',
        end() {
          if (ended) return;
          ended = true;
          clearTimeout(lifetime);
          joined.streams.delete(stream);
          if (joined.streams.size === 0 && feeds.get(first.id) === joined) {
            joined.stop();
            feeds.delete(first.id);
          }
          const left = (perOwner.get(owner) ?? 1) - 1;
          if (left > 0) perOwner.set(owner, left);
          else perOwner.delete(owner);
          open--;
          res.end();
        },
      };
      const lifetime = setTimeout(() => stream.end(), deps.maxLifetimeMs);
      joined.streams.add(stream);
      res.on('close', () => stream.end());
      send(stream, first);
    },

    /** Closes at once the streams resting on this token or session (revoked, logged out). */
    endAccess(which: { tokenId: string } | { sid: string }): void {
      for (const feed of [...feeds.values()]) {
        for (const stream of [...feed.streams]) {
          const { access } = stream;
          const matches =
            'tokenId' in which
              ? access.kind === 'token' && access.tokenId === which.tokenId
              : access.kind === 'session' && access.sid === which.sid;
          if (matches) stream.end();
        }
      }
    },
  };
}

export type ProgressStreams = ReturnType<typeof createProgressStreams>;
