// Mounts the vendored GraphiQL against /graphql and keeps the API token
// (shared with the other Taiō pages) in localStorage. Subscriptions run over
// the WebSocket at /graphql/ws through live.js, everything else over POST.
(function () {
  'use strict';

  const TOKEN_KEY = 'taio.token';
  const ENDPOINT = '/graphql';
  const DEFAULT_QUERY = `# First paste your API token above and press Save.
#
# Live updates: a subscription streams until you press stop, e.g.
#   subscription { incidentEvents(teamId: "<team id>") { cursor kind incidentId toState incident { key title stage } } }
# Read eventCursor with a query first and pass it as after: "<cursor>" to miss nothing.
{
  me {
    person { name }
    teams { role team { key name } }
  }
  catalog { version }
}
`;

  function readToken() {
    try {
      return window.localStorage.getItem(TOKEN_KEY) || '';
    } catch (_) {
      return '';
    }
  }

  function writeToken(token) {
    if (token) {
      window.localStorage.setItem(TOKEN_KEY, token);
    } else {
      window.localStorage.removeItem(TOKEN_KEY);
    }
  }

  // The keyword of the operation GraphiQL is about to run, read from the text it sends: the
  // parsed document GraphiQL also hands over is refreshed after a pause in typing, so right after
  // an edit it can still describe the previous text.
  function operationType(params, options) {
    const scanned = pick(scanOperations(params.query || ''), params.operationName);
    if (scanned) {
      return scanned;
    }
    const document = options && options.documentAST;
    if (document && Array.isArray(document.definitions)) {
      const operations = document.definitions
        .filter((d) => d.kind === 'OperationDefinition')
        .map((d) => ({ type: d.operation, name: d.name ? d.name.value : null }));
      return pick(operations, params.operationName);
    }
    return null;
  }

  function pick(operations, name) {
    const chosen = name ? operations.find((o) => o.name === name) : operations.length === 1 ? operations[0] : null;
    return chosen ? chosen.type : null;
  }

  // The operations of a document, from its tokens at the top level: comments, strings and block
  // strings are skipped, and brackets are counted so that names inside selections, arguments and
  // default values are never mistaken for a definition's keyword.
  function scanOperations(text) {
    const operations = [];
    let depth = 0;
    let expectDefinition = true;
    let pendingOperation = null;
    let i = 0;
    while (i < text.length) {
      const c = text[i];
      if (c === '#') {
        while (i < text.length && text[i] !== '\n' && text[i] !== '\r') {
          i += 1;
        }
      } else if (c === '"') {
        i = skipString(text, i);
        continue;
      } else if (/[A-Za-z_]/.test(c)) {
        const start = i;
        while (i < text.length && /[A-Za-z0-9_]/.test(text[i])) {
          i += 1;
        }
        const word = text.slice(start, i);
        if (depth === 0 && pendingOperation && pendingOperation.name === undefined) {
          pendingOperation.name = word;
        } else if (depth === 0 && expectDefinition) {
          expectDefinition = false;
          if (word === 'query' || word === 'mutation' || word === 'subscription') {
            pendingOperation = { type: word, name: undefined };
            operations.push(pendingOperation);
          }
        }
        continue;
      } else if (c === '{' || c === '(' || c === '[') {
        if (depth === 0 && pendingOperation && pendingOperation.name === undefined) {
          pendingOperation.name = null;
        }
        if (c === '{' && depth === 0 && expectDefinition) {
          operations.push({ type: 'query', name: null });
          expectDefinition = false;
        }
        depth += 1;
      } else if (c === '}' || c === ')' || c === ']') {
        depth = Math.max(0, depth - 1);
        if (c === '}' && depth === 0) {
          expectDefinition = true;
          pendingOperation = null;
        }
      } else if (depth === 0 && pendingOperation && pendingOperation.name === undefined && /[@$]/.test(c)) {
        pendingOperation.name = null;
      }
      i += 1;
    }
    for (const operation of operations) {
      if (operation.name === undefined) {
        operation.name = null;
      }
    }
    return operations;
  }

  // The index just past the string that starts at `start` ("…" with escapes, or """…""").
  function skipString(text, start) {
    if (text.startsWith('"""', start)) {
      let i = start + 3;
      while (i < text.length) {
        if (text.startsWith('\\"""', i)) {
          i += 4;
        } else if (text.startsWith('"""', i)) {
          return i + 3;
        } else {
          i += 1;
        }
      }
      return i;
    }
    let i = start + 1;
    while (i < text.length && text[i] !== '"' && text[i] !== '\n' && text[i] !== '\r') {
      i += text[i] === '\\' ? 2 : 1;
    }
    return i + 1;
  }

  // The token for a WebSocket, which cannot carry headers: an Authorization header typed into
  // GraphiQL's editor, else the saved one.
  function socketToken(headers) {
    for (const [name, value] of Object.entries(headers || {})) {
      if (name.toLowerCase() === 'authorization') {
        return String(value).trim().replace(/^Bearer\s+/i, '');
      }
    }
    return readToken();
  }

  function closedMessage(info) {
    if (info.refused) {
      return 'The server refused the token: paste a valid API token above (or send an Authorization header).';
    }
    const detail = [info.code, info.reason].filter(Boolean).join(' ');
    return info.acknowledged
      ? `The WebSocket closed before the subscription completed (${detail || 'no reason given'}).`
      : `Could not open the WebSocket at ${window.TaioLive.endpoint()} (${detail || 'no reason given'}).`;
  }

  // An Observable as GraphiQL expects it: each `next` shows the latest event, and GraphiQL's stop
  // button unsubscribes.
  function subscriptionOf(params, options) {
    return {
      subscribe(observer) {
        const sink = typeof observer === 'function' ? { next: observer } : observer || {};
        const next = (value) => sink.next && sink.next(value);
        const complete = () => sink.complete && sink.complete();
        const handle = window.TaioLive.subscribe({
          query: params.query,
          variables: params.variables,
          operationName: params.operationName,
          token: socketToken(options && options.headers),
          onNext: next,
          onError: (errors) => {
            next({ errors });
            complete();
          },
          onComplete: complete,
          onClose: (info) => {
            const extensions = { code: 'WEBSOCKET_CLOSED', closeCode: info.code, closeReason: info.reason };
            next({ errors: [{ message: closedMessage(info), extensions }] });
            complete();
          },
        });
        return { unsubscribe: () => handle.unsubscribe() };
      },
    };
  }

  // A fresh fetcher per token change makes GraphiQL introspect the schema again.
  function createFetcher() {
    return async function fetcher(params, options) {
      if (window.TaioLive && operationType(params, options) === 'subscription') {
        return subscriptionOf(params, options);
      }
      const headers = new Headers({
        'Content-Type': 'application/json',
        Accept: 'application/graphql-response+json, application/json',
      });
      const token = readToken();
      if (token) {
        headers.set('Authorization', `Bearer ${token}`);
      }
      // Headers typed into GraphiQL's own editor win, so a token can be tried without saving it.
      for (const [name, value] of Object.entries((options && options.headers) || {})) {
        headers.set(name, String(value));
      }
      const response = await fetch(ENDPOINT, {
        method: 'POST',
        headers,
        body: JSON.stringify(params),
      });
      const text = await response.text();
      try {
        return JSON.parse(text);
      } catch (_) {
        const detail = text.trim().slice(0, 500) || response.statusText;
        return { errors: [{ message: `HTTP ${response.status}: ${detail}` }] };
      }
    };
  }

  const root = ReactDOM.createRoot(document.getElementById('graphiql'));
  const form = document.getElementById('taio-token-form');
  const input = document.getElementById('taio-token');
  const signOut = document.getElementById('taio-token-clear');
  const status = document.getElementById('taio-token-status');

  function refresh() {
    const signedIn = readToken() !== '';
    status.textContent = signedIn ? 'Token saved' : 'No token';
    input.placeholder = signedIn ? 'Paste a new token to replace it' : 'Paste an API token';
    signOut.disabled = !signedIn;
    root.render(
      React.createElement(GraphiQL, {
        fetcher: createFetcher(),
        defaultQuery: DEFAULT_QUERY,
      }),
    );
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const token = input.value.trim().replace(/^Bearer\s+/i, '');
    if (!token) {
      input.focus();
      return;
    }
    writeToken(token);
    input.value = '';
    refresh();
  });

  signOut.addEventListener('click', () => {
    writeToken('');
    input.value = '';
    refresh();
  });

  // Another Taiō tab signed in or out.
  window.addEventListener('storage', (event) => {
    if (event.key === TOKEN_KEY || event.key === null) {
      refresh();
    }
  });

  refresh();
})();
