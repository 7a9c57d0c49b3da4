// GraphQL subscriptions over Taiō's WebSocket (/graphql/ws, protocol graphql-transport-ws), with
// no dependencies. TaioLive.subscribe runs one subscription on its own connection (GraphiQL);
// TaioLive.follow keeps an event stream going across dropped connections, lagging and server
// restarts by resuming from the last cursor it saw (the dashboard).
(function () {
  'use strict';

  const TOKEN_KEY = 'taio.token';
  const PROTOCOL = 'graphql-transport-ws';
  const PATH = '/graphql/ws';
  // A server that takes longer than this to acknowledge is treated as unreachable.
  const ACK_TIMEOUT_MS = 10000;
  // Proxies drop idle sockets silently, and a dead path otherwise shows only when TCP gives up:
  // a ping after this much silence keeps the path open and finds out whether it still is.
  const PING_AFTER_MS = 25000;
  const PONG_TIMEOUT_MS = 10000;
  const RETRY_BASE_MS = 1000;
  const RETRY_MAX_MS = 30000;
  // A connection that stayed up this long was healthy: the next drop starts the backoff afresh.
  const STABLE_MS = 10000;
  // Worth trying again later; any other error code means the request itself cannot succeed.
  const TRANSIENT = ['UNAVAILABLE', 'TIMEOUT', 'INTERNAL_SERVER_ERROR'];

  function endpoint() {
    const scheme = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
    return `${scheme}//${window.location.host}${PATH}`;
  }

  function savedToken() {
    try {
      return window.localStorage.getItem(TOKEN_KEY) || '';
    } catch (_) {
      return '';
    }
  }

  function tokenOf(option) {
    const value = typeof option === 'function' ? option() : option;
    return typeof value === 'string' ? value.trim().replace(/^Bearer\s+/i, '') : savedToken();
  }

  // A throwing callback must not leave the connection half-handled; its error still reaches the
  // console.
  function call(fn, ...args) {
    if (typeof fn !== 'function') {
      return;
    }
    try {
      fn(...args);
    } catch (error) {
      setTimeout(() => {
        throw error;
      });
    }
  }

  function codeOf(errors) {
    const first = Array.isArray(errors) ? errors[0] : null;
    return (first && first.extensions && first.extensions.code) || null;
  }

  // Taiō refuses a bad token by closing before the acknowledgement with 1002 and a reason that
  // says so; 4401 and 4403 are the protocol's own codes for the same.
  function refusal(code, reason) {
    return code === 4401 || code === 4403 || (code === 1002 && /forbidden|unauthori[sz]ed|token/i.test(reason || ''));
  }

  // One WebSocket, initialised with the token, carrying any number of operations.
  class Connection {
    constructor({ url, token, onAck, onClose }) {
      this.onAck = onAck;
      this.onClose = onClose;
      this.acknowledged = false;
      this.closed = false;
      this.nextId = 0;
      this.sinks = new Map();
      this.queued = [];
      this.timer = null;
      this.failTimer = null;
      this.token = token;
      try {
        this.socket = new WebSocket(url || endpoint(), PROTOCOL);
      } catch (error) {
        this.socket = null;
        setTimeout(() => this.drop({ code: 0, reason: String(error && error.message) }));
        return;
      }
      this.socket.onopen = () => {
        this.send({ type: 'connection_init', payload: { token: this.token } });
        this.timer = setTimeout(() => this.drop({ code: 4408, reason: 'no connection_ack' }), ACK_TIMEOUT_MS);
      };
      this.socket.onmessage = (event) => this.receive(event.data);
      this.socket.onclose = (event) => this.drop({ code: event.code, reason: event.reason });
      // A close event with the real code follows an error, except in some runtimes that forget it.
      this.socket.onerror = () => {
        clearTimeout(this.failTimer);
        this.failTimer = setTimeout(() => this.drop({ code: 1006, reason: 'connection failed' }), 1000);
      };
    }

    // Sends `subscribe` now or once acknowledged; returns the operation's id.
    start(payload, sink) {
      const id = String(++this.nextId);
      this.sinks.set(id, sink);
      const message = { id, type: 'subscribe', payload };
      if (this.acknowledged) {
        this.send(message);
      } else {
        this.queued.push(message);
      }
      return id;
    }

    // Ends one operation from this side; its sink hears nothing more.
    stop(id) {
      if (this.sinks.delete(id) && this.acknowledged) {
        this.send({ id, type: 'complete' });
      }
      this.queued = this.queued.filter((message) => message.id !== id);
    }

    // Closes from this side: no callback follows.
    close() {
      if (this.closed) {
        return;
      }
      this.closed = true;
      this.sinks.clear();
      this.release();
    }

    send(message) {
      if (this.socket && this.socket.readyState === WebSocket.OPEN) {
        this.socket.send(JSON.stringify(message));
      }
    }

    receive(text) {
      let message = null;
      try {
        message = JSON.parse(text);
      } catch (_) {
        message = null;
      }
      if (!message || typeof message.type !== 'string') {
        this.drop({ code: 4400, reason: 'unreadable message from the server' });
        return;
      }
      if (this.acknowledged) {
        this.keepAlive();
      }
      const sink = message.id === undefined ? null : this.sinks.get(message.id);
      switch (message.type) {
        case 'connection_ack':
          if (!this.acknowledged) {
            this.acknowledged = true;
            clearTimeout(this.timer);
            this.keepAlive();
            for (const queued of this.queued.splice(0)) {
              this.send(queued);
            }
            call(this.onAck);
          }
          break;
        case 'ping':
          this.send({ type: 'pong' });
          break;
        case 'next':
          if (sink) {
            call(sink.next, message.payload);
          }
          break;
        case 'error':
          if (sink) {
            this.sinks.delete(message.id);
            call(sink.error, Array.isArray(message.payload) ? message.payload : [message.payload]);
          }
          break;
        case 'complete':
          if (sink) {
            this.sinks.delete(message.id);
            call(sink.complete);
          }
          break;
        default:
          break;
      }
    }

    keepAlive() {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => {
        this.send({ type: 'ping' });
        this.timer = setTimeout(() => this.drop({ code: 4408, reason: 'no pong' }), PONG_TIMEOUT_MS);
      }, PING_AFTER_MS);
    }

    // The connection is gone or given up on. A socket that is already dead may take minutes to
    // report its close, so the owner hears now and the socket is left to finish on its own.
    drop({ code, reason }) {
      if (this.closed) {
        return;
      }
      this.closed = true;
      const info = {
        code,
        reason: reason || '',
        acknowledged: this.acknowledged,
        refused: !this.acknowledged && refusal(code, reason),
      };
      this.sinks.clear();
      this.release();
      call(this.onClose, info);
    }

    release() {
      clearTimeout(this.timer);
      clearTimeout(this.failTimer);
      const socket = this.socket;
      if (!socket) {
        return;
      }
      socket.onmessage = null;
      socket.onclose = null;
      socket.onerror = null;
      // Closing a socket that is still connecting makes browsers log an error; close it once open.
      if (socket.readyState === WebSocket.CONNECTING) {
        socket.onopen = () => socket.close(1000);
      } else {
        socket.onopen = null;
        if (socket.readyState === WebSocket.OPEN) {
          socket.close(1000);
        }
      }
    }
  }

  function request(options) {
    const payload = { query: options.query };
    if (options.variables) {
      payload.variables = options.variables;
    }
    if (options.operationName) {
      payload.operationName = options.operationName;
    }
    return payload;
  }

  // One subscription on its own connection. Exactly one of onComplete, onError (a GraphQL
  // `error` message: the operation was refused) and onClose (the connection ended first) is
  // called, unless unsubscribe() came first; after unsubscribe() nothing is called.
  function subscribe(options) {
    let done = false;
    const finish = (fn, arg) => {
      if (done) {
        return;
      }
      done = true;
      connection.close();
      call(fn, arg);
    };
    const connection = new Connection({
      url: options.url,
      token: tokenOf(options.token),
      onAck: () => {
        if (!done) {
          call(options.onAck);
        }
      },
      onClose: (info) => finish(options.onClose, info),
    });
    const id = connection.start(request(options), {
      next: (payload) => {
        if (!done) {
          call(options.onNext, payload);
        }
      },
      error: (errors) => finish(options.onError, errors),
      complete: () => finish(options.onComplete),
    });
    return {
      unsubscribe() {
        if (done) {
          return;
        }
        done = true;
        connection.stop(id);
        connection.close();
      },
    };
  }

  // The ceiling doubles with each attempt, from RETRY_BASE_MS up to RETRY_MAX_MS, and the wait is
  // drawn from its upper half: dashboards cut off together do not all come back at once.
  function backoff(attempt, base, max) {
    const ceiling = Math.min(max, base * 2 ** Math.min(attempt, 20));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  // The first top-level field of a result that carries a cursor: the event.
  function eventOf(data) {
    if (!data || typeof data !== 'object') {
      return null;
    }
    for (const value of Object.values(data)) {
      if (value && typeof value === 'object' && typeof value.cursor === 'string') {
        return value;
      }
    }
    return null;
  }

  class Follower {
    constructor(options) {
      this.options = options;
      this.cursor = options.after || null;
      this.state = 'connecting';
      this.attempt = 0;
      this.connection = null;
      this.operation = null;
      this.liveSince = 0;
      this.timer = null;
      this.ended = false;
      this.online = () => {
        if (this.state === 'reconnecting' && this.timer !== null) {
          clearTimeout(this.timer);
          this.connect();
        }
      };
      window.addEventListener('online', this.online);
      this.connect();
    }

    setState(state, info) {
      if (this.ended || state === this.state) {
        return;
      }
      this.state = state;
      call(this.options.onState, state, info || {});
    }

    connect() {
      this.timer = null;
      this.liveSince = 0;
      const connection = new Connection({
        url: this.options.url,
        token: tokenOf(this.options.token),
        onAck: () => {
          if (connection === this.connection) {
            this.liveSince = Date.now();
            this.subscribe();
            this.setState('live');
          }
        },
        onClose: (info) => {
          if (connection !== this.connection) {
            return;
          }
          this.connection = null;
          this.operation = null;
          if (info.refused) {
            this.finish({ ...info, code: 'UNAUTHENTICATED' });
          } else {
            this.retry(info);
          }
        },
      });
      this.connection = connection;
    }

    subscribe() {
      const variables = { ...this.options.variables };
      if (this.cursor) {
        variables[this.options.afterVariable || 'after'] = this.cursor;
      }
      const payload = request({ ...this.options, variables });
      const id = this.connection.start(payload, {
        next: (result) => this.result(id, result),
        error: (errors) => this.failed(id, errors),
        complete: () => {
          if (id === this.operation) {
            // The server ended the stream without saying why (it may be shutting down).
            this.operation = null;
            this.reconnect({ code: 'COMPLETED' });
          }
        },
      });
      this.operation = id;
    }

    result(id, result) {
      if (id !== this.operation) {
        return;
      }
      const event = eventOf(result && result.data);
      if (event) {
        this.cursor = event.cursor;
        call(this.options.onEvent, event, result);
        return;
      }
      if (result && Array.isArray(result.errors) && result.errors.length) {
        this.failed(id, result.errors);
      }
    }

    failed(id, errors) {
      if (id !== this.operation || !this.connection) {
        return;
      }
      this.connection.stop(id);
      this.operation = null;
      const code = codeOf(errors);
      const extensions = (errors[0] && errors[0].extensions) || {};
      if (typeof extensions.resumeAfter === 'string') {
        this.cursor = extensions.resumeAfter;
      }
      if (code === 'SUBSCRIPTION_LAGGED') {
        call(this.options.onLagged, this.cursor);
        this.subscribe();
      } else if (TRANSIENT.includes(code)) {
        this.reconnect({ code, errors });
      } else {
        this.finish({ code: code || 'ERROR', errors });
      }
    }

    // Gives up on the current connection and tries a new one, which behind a load balancer may
    // well be another server.
    reconnect(info) {
      if (this.connection) {
        this.connection.close();
        this.connection = null;
      }
      this.retry(info);
    }

    retry(info) {
      if (this.ended) {
        return;
      }
      if (this.liveSince && Date.now() - this.liveSince >= STABLE_MS) {
        this.attempt = 0;
      }
      const delay = backoff(
        this.attempt,
        this.options.retryBaseMs || RETRY_BASE_MS,
        this.options.retryMaxMs || RETRY_MAX_MS,
      );
      this.attempt += 1;
      this.setState('reconnecting', { ...info, attempt: this.attempt, delay });
      this.timer = setTimeout(() => this.connect(), delay);
    }

    finish(info) {
      this.setState('stopped', info);
      this.stop();
    }

    stop() {
      this.ended = true;
      clearTimeout(this.timer);
      this.timer = null;
      window.removeEventListener('online', this.online);
      if (this.connection) {
        if (this.operation) {
          this.connection.stop(this.operation);
        }
        this.connection.close();
        this.connection = null;
      }
      this.operation = null;
      this.state = 'stopped';
    }
  }

  // Follows a subscription whose top-level field returns an object with a `cursor` (such as
  // incidentEvents), from `after` onwards, for as long as it can. onState(state, info) hears
  // 'live', 'reconnecting' and 'stopped' as they happen (a follower starts in 'connecting');
  // 'stopped' is final and info.code says why (UNAUTHENTICATED, FORBIDDEN, NOT_FOUND, or another
  // code that retrying cannot cure). After stop() nothing is called.
  function follow(options) {
    const follower = new Follower(options);
    return {
      stop: () => follower.stop(),
      get state() {
        return follower.state;
      },
      get cursor() {
        return follower.cursor;
      },
    };
  }

  window.TaioLive = Object.freeze({ endpoint, subscribe, follow, codeOf });
})();
