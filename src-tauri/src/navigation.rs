//! Where the webview may go: only the app's own pages. Everything else is refused; web links are
//! opened in the system browser by the `open_external` command instead.

use tauri::Url;

/// Whether `url` is one of the app's own pages (the embedded UI, or the dev server in debug builds).
pub fn stays_in_app(url: &Url) -> bool {
    match (url.scheme(), url.host_str()) {
        ("tauri", Some("localhost")) => true,
        ("http" | "https", Some("tauri.localhost")) => true,
        ("http", Some("localhost")) if cfg!(debug_assertions) => url.port() == Some(5173),
        _ => false,
    }
}

/// An http(s) link with a host: the only kind opened in the system browser.
pub fn is_web_link(url: &str) -> bool {
    Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_apps_own_pages_are_navigable() {
        for ok in
            ["tauri://localhost/index.html", "http://tauri.localhost/", "https://tauri.localhost/x"]
        {
            assert!(stays_in_app(&Url::parse(ok).unwrap()), "{ok}");
        }
        for no in [
            "https://example.com/",
            "http://localhost:8080/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "tauri://evil.example/",
        ] {
            assert!(!stays_in_app(&Url::parse(no).unwrap()), "{no}");
        }
    }

    #[test]
    fn only_web_links_open_outside() {
        assert!(is_web_link("https://qwenlm.github.io/blog/qwen3/"));
        assert!(is_web_link("http://example.com"));
        for no in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "data:text/html,x",
            "mailto:a@b",
            "https://",
            "nonsense",
        ] {
            assert!(!is_web_link(no), "{no}");
        }
    }
}
