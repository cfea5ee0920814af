//! Configuration loading: defaults, then the TOML file, then `TICORR_*` variables.
//!
//! An environment variable names a key by its path in the file, upper-cased, with `__`
//! between a section and its key: `TICORR_HTTP__PORT=9000` is `[http] port = 9000`,
//! `TICORR_DATABASE__URL=postgres://…` is `[database] url`, `TICORR_DATA_DIR` is
//! `data_dir`. Values are read as TOML scalars when they parse as one (numbers, booleans),
//! as text otherwise. Variables outside the configuration's sections are not read here.

use std::path::Path;

use anyhow::Context;
use ticorr_web::Config;

const SECTIONS: &[&str] = &[
    "data_dir", "database", "http", "identity", "stats", "ledger", "jobs", "mail", "log",
];

pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
    let mut value = toml::Value::try_from(Config::default())?;
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let from_file: toml::Value = toml::from_str(&text)
            .with_context(|| format!("{} is not valid TOML", path.display()))?;
        merge(&mut value, from_file);
    }
    for (name, raw) in std::env::vars() {
        let Some(key) = name.strip_prefix("TICORR_") else {
            continue;
        };
        let path: Vec<String> = key.split("__").map(|p| p.to_ascii_lowercase()).collect();
        if !SECTIONS.contains(&path[0].as_str()) {
            continue;
        }
        set_path(&mut value, &path, scalar(&raw));
    }
    let config: Config = value.try_into().context("invalid configuration")?;
    config.validate().map_err(anyhow::Error::msg)?;
    Ok(config)
}

fn scalar(raw: &str) -> toml::Value {
    toml::from_str::<toml::Table>(&format!("v = {raw}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .filter(|v| !v.is_table() && !v.is_array())
        .unwrap_or_else(|| toml::Value::String(raw.to_owned()))
}

fn set_path(root: &mut toml::Value, path: &[String], v: toml::Value) {
    let mut cur = root;
    for (i, key) in path.iter().enumerate() {
        let Some(table) = cur.as_table_mut() else {
            return;
        };
        if i + 1 == path.len() {
            table.insert(key.clone(), v);
            return;
        }
        cur = table
            .entry(key.clone())
            .or_insert_with(|| toml::Value::Table(Default::default()));
    }
}

fn merge(base: &mut toml::Value, over: toml::Value) {
    match (base, over) {
        (toml::Value::Table(b), toml::Value::Table(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(existing) => merge(existing, v),
                    None => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

pub fn ensure_data_dir(cfg: &Config) -> anyhow::Result<()> {
    std::fs::create_dir_all(&cfg.data_dir)
        .with_context(|| format!("cannot create {}", cfg.data_dir.display()))
}

pub fn init_logging(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&cfg.log.filter));
    // Colours only for a person at a terminal, never in files or log collectors.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(ansi);
    let _ = if cfg.log.format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_values_become_scalars_or_text() {
        assert_eq!(scalar("9000"), toml::Value::Integer(9000));
        assert_eq!(scalar("false"), toml::Value::Boolean(false));
        assert_eq!(scalar("127.0.0.1"), toml::Value::String("127.0.0.1".into()));
        assert_eq!(
            scalar("postgres://u@h/db"),
            toml::Value::String("postgres://u@h/db".into())
        );
    }

    #[test]
    fn nested_keys_are_set_and_files_merge() {
        let mut v = toml::Value::try_from(Config::default()).unwrap();
        set_path(
            &mut v,
            &["http".into(), "port".into()],
            toml::Value::Integer(9100),
        );
        merge(&mut v, toml::from_str("[log]\nformat = \"json\"").unwrap());
        let c: Config = v.try_into().unwrap();
        assert_eq!(c.http.port, 9100);
        assert_eq!(c.log.format, "json");
        assert_eq!(c.http.host, "127.0.0.1");
    }
}
