//! Static files compiled into the binary, so that GraphiQL and the dashboard work with no network
//! access.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        path: "graphiql.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/graphiql.js"),
    },
    Asset { path: "taio.css", content_type: "text/css; charset=utf-8", body: include_bytes!("../assets/taio.css") },
    Asset {
        path: "live.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/live.js"),
    },
    Asset {
        path: "dashboard.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/dashboard.js"),
    },
    Asset {
        path: "dashboard.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../assets/dashboard.css"),
    },
    Asset {
        path: "vendor/react.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/vendor/react.production.min.js"),
    },
    Asset {
        path: "vendor/react-dom.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/vendor/react-dom.production.min.js"),
    },
    Asset {
        path: "vendor/graphiql.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/vendor/graphiql.min.js"),
    },
    Asset {
        path: "vendor/graphiql.min.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../assets/vendor/graphiql.min.css"),
    },
];

/// The GraphiQL page.
pub(crate) const GRAPHIQL_HTML: &str = include_str!("../assets/graphiql.html");

/// The team dashboard page.
pub(crate) const DASHBOARD_HTML: &str = include_str!("../assets/dashboard.html");

/// Content-Security-Policy of Taiō's pages: everything from this origin, fonts also from `data:`
/// (GraphiQL's stylesheet embeds them), no framing. `connect-src 'self'` also admits the pages'
/// WebSocket to `/graphql/ws`: since CSP Level 3, `'self'` matches `ws:` and `wss:` on the page's
/// own host and port, so no other socket can be opened.
pub(crate) const PAGE_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; font-src 'self' data:; \
     img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// `GET /assets/{*path}`.
pub(crate) async fn asset(Path(path): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.path == path) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
                (header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600")),
            ],
            asset.body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /` and `GET /graphiql`.
pub(crate) async fn graphiql() -> Response {
    page(GRAPHIQL_HTML)
}

/// `GET /dashboard`.
pub(crate) async fn dashboard() -> Response {
    page(DASHBOARD_HTML)
}

/// One of Taiō's HTML pages, under [`PAGE_CSP`], never framed and revalidated on every visit.
fn page(html: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_CSP)),
            (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        html,
    )
        .into_response()
}
