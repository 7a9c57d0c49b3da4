// Mounts the vendored GraphiQL against /graphql and keeps the API token
// (shared with the other Taiō pages) in localStorage.
(function () {
  'use strict';

  const TOKEN_KEY = 'taio.token';
  const ENDPOINT = '/graphql';
  const DEFAULT_QUERY = `# First paste your API token above and press Save.
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

  // A fresh fetcher per token change makes GraphiQL introspect the schema again.
  function createFetcher() {
    return async function fetcher(params, options) {
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
