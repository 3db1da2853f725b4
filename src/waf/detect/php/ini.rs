//! php.ini directives: a line that sets one of the settings an attacker
//! changes (`allow_url_include=1`, `auto_prepend_file=...`) or a setting of
//! one of the extension sections (`session.save_path = ...`).

use crate::waf::detect::{Level, Signal};

/// A line that sets a php.ini directive (`allow_url_include=1`), as sent to
/// CGI front ends and `.user.ini` writers.
pub(super) fn ini_directive(s: &str) -> Option<Signal> {
    if !s.contains('=') {
        return None;
    }
    const KEYS: &[&str] = &[
        "allow_url_include",
        "allow_url_fopen",
        "auto_prepend_file",
        "auto_append_file",
        "disable_functions",
        "disable_classes",
        "open_basedir",
        "safe_mode",
        "display_errors",
        "display_startup_errors",
        "error_reporting",
        "error_log",
        "log_errors",
        "html_errors",
        "memory_limit",
        "max_execution_time",
        "max_input_time",
        "post_max_size",
        "upload_max_filesize",
        "upload_tmp_dir",
        "file_uploads",
        "extension_dir",
        "zend_extension",
        "include_path",
        "short_open_tag",
        "expose_php",
        "register_globals",
        "magic_quotes_gpc",
        "sendmail_path",
        "unserialize_max_depth",
        "default_charset",
        "output_buffering",
        "user_ini.filename",
        "enable_dl",
        "cgi.force_redirect",
    ];
    const SECTIONS: &[&str] = &[
        "session.",
        "opcache.",
        "phar.",
        "mail.",
        "pcre.",
        "zend.",
        "xdebug.",
        "mysqli.",
        "pdo_mysql.",
        "suhosin.",
        "apc.",
        "date.",
        "assert.",
        "mbstring.",
        "filter.",
    ];
    s.lines()
        .any(|line| {
            let Some((k, v)) = line.split_once('=') else {
                return false;
            };
            let k = k.trim();
            !v.trim().is_empty()
                && (KEYS.contains(&k)
                    || SECTIONS.iter().any(|p| {
                        k.strip_prefix(p).is_some_and(|r| {
                            r.len() >= 3 && r.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                        })
                    }))
        })
        .then_some(Signal::new(Level::Pl1, "php.ini directive"))
}
