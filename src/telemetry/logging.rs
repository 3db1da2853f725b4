//! The error log: `env_logger` at the configured level, to stderr or a file.

use crate::config::Config;

/// Initialises logging once.
pub fn init(cfg: &Config) {
    let mut b = env_logger::Builder::new();
    b.filter_level(cfg.server.log_level)
        .format_timestamp_millis();
    if let Some(path) = &cfg.server.error_log {
        match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            Ok(f) => {
                b.target(env_logger::Target::Pipe(Box::new(f)));
            }
            Err(e) => eprintln!("warning: cannot open error log {path}: {e}; logging to stderr"),
        }
    }
    let _ = b.try_init();
}
