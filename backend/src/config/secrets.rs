//! The key policy: what a key variable (`JWT_SECRET`, `DATA_ENCRYPTION_KEY`, …) must be, and, for a fresh
//! clone on SQLite, the random keys made once and kept beside the database file.

use std::path::PathBuf;

use super::{ConfigError, DatabaseUrl, Secret};

/// Example secrets that appear in our docs or the seed's: refused at start-up, since anyone can read them.
const EXAMPLE_SECRETS: &[&str] = &[
    "your-super-secret-32-char-minimum-key",
    "change-me-to-a-long-random-string-of-32-bytes-or-more",
    "some-32-byte-or-longer-secret-value",
];
const ENV_EXAMPLE: &str = include_str!("../../../.env.example");

pub const MIN_SECRET_BYTES: usize = 32;

/// Example values from `.env.example` and our docs: known to the world, so never accepted as a key.
fn example_secrets() -> impl Iterator<Item = String> {
    let from_env_example = ENV_EXAMPLE.lines().filter_map(|line| {
        let line = line.trim_start_matches('#').trim();
        line.strip_prefix("JWT_SECRET=").map(|v| v.trim().trim_matches('"').to_string()).filter(|v| !v.is_empty())
    });
    EXAMPLE_SECRETS.iter().map(|s| s.to_string()).chain(from_env_example)
}

pub fn check_secret(secret: &str) -> Result<(), ConfigError> {
    check_named_secret("JWT_SECRET", secret)
}

/// [`check_secret`]'s rules for any key variable, named in the message.
pub fn check_named_secret(name: &str, secret: &str) -> Result<(), ConfigError> {
    const HOW: &str = "generate one with: openssl rand -hex 32";
    if secret.len() < MIN_SECRET_BYTES {
        return Err(ConfigError(format!(
            "{name} is {} bytes; at least {MIN_SECRET_BYTES} are required ({HOW})",
            secret.len()
        )));
    }
    if example_secrets().any(|example| example == secret) {
        return Err(ConfigError(format!(
            "{name} is an example value from the documentation and must not be used ({HOW})"
        )));
    }
    let mut chars = secret.chars();
    if let Some(first) = chars.next() {
        if chars.all(|c| c == first) {
            return Err(ConfigError(format!(
                "{name} is one character repeated, which anyone can guess like an example value ({HOW})"
            )));
        }
    }
    Ok(())
}

/// For a fresh clone on SQLite: a random secret, made once and kept beside the database file, so tokens
/// survive restarts without anyone editing a file. PostgreSQL deployments run several processes that
/// must share one key, so there the secret has to be configured.
pub(super) fn local_secret(
    database: &DatabaseUrl,
    name: &str,
    file_name: &str,
) -> Result<(Secret, String), ConfigError> {
    let DatabaseUrl::Sqlite(path) = database else {
        return Err(ConfigError(format!(
            "{name} must be set when DATABASE_URL is PostgreSQL (every API process needs the same key; \
             generate one with: openssl rand -hex 32)"
        )));
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() && path.as_os_str() != ":memory:" => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let file = dir.join(file_name);
    if let Some(existing) = read_local_secret(name, &file)? {
        return Ok((existing, format!("{} (generated earlier for local use)", file.display())));
    }
    std::fs::create_dir_all(&dir).map_err(|e| ConfigError(format!("cannot create {}: {e}", dir.display())))?;
    let mut bytes = [0u8; 32];
    rand::Rng::fill(&mut rand::rngs::OsRng, &mut bytes);
    let secret = hex::encode(bytes);
    // Written whole into a private temporary file beside it, then linked into place only if no file is there:
    // of two processes starting at once on a fresh database, one wins and the other reads the winner's file
    // (never a half-written one) instead of aborting.
    let cannot_write = |e: std::io::Error| ConfigError(format!("cannot write {}: {e}", file.display()));
    let mut tmp = tempfile::Builder::new().prefix(&format!("{file_name}.")).tempfile_in(&dir).map_err(cannot_write)?;
    std::io::Write::write_all(&mut tmp, secret.as_bytes()).map_err(cannot_write)?;
    match tmp.persist_noclobber(&file) {
        Ok(_) => Ok((Secret::from(secret), format!("{} (just generated for local use)", file.display()))),
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => match read_local_secret(name, &file)? {
            Some(winner) => {
                Ok((winner, format!("{} (generated at the same moment by another process)", file.display())))
            }
            None => Err(ConfigError(format!("{} vanished while starting", file.display()))),
        },
        Err(e) => Err(cannot_write(e.error)),
    }
}

/// The secret kept in `file`, checked; `None` when there is no such file.
fn read_local_secret(name: &str, file: &std::path::Path) -> Result<Option<Secret>, ConfigError> {
    match std::fs::read_to_string(file) {
        Ok(existing) => {
            let existing = existing.trim().to_string();
            check_named_secret(name, &existing).map_err(|e| ConfigError(format!("{}: {e}", file.display())))?;
            Ok(Some(Secret::from(existing)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(ConfigError(format!("cannot read {}: {e}", file.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{
        testing::{vars, SECRET},
        Settings,
    };
    use secrecy::ExposeSecret;

    #[test]
    fn short_and_example_secrets_are_refused_with_advice() {
        let short = check_secret("too-short").unwrap_err();
        assert!(short.0.contains("at least 32") && short.0.contains("openssl rand"), "{short}");
        for example in example_secrets() {
            let err = check_secret(&example).unwrap_err();
            assert!(err.0.contains("example value"), "{example}: {err}");
        }
        // README examples must be among the refused ones.
        let readme = include_str!("../../../README.md");
        for line in readme.lines() {
            if let Some(v) = line.trim().strip_prefix("JWT_SECRET=") {
                let v = v.split_whitespace().next().unwrap_or("").trim_matches('"');
                if v.len() >= MIN_SECRET_BYTES && !v.starts_with('$') {
                    assert!(check_secret(v).is_err(), "README example {v} is accepted");
                }
            }
        }
        check_secret(SECRET).unwrap();
    }

    #[test]
    fn a_secret_of_one_repeated_character_is_refused() {
        for repeated in ["a".repeat(32), "0".repeat(64), "é".repeat(20)] {
            let err = check_secret(&repeated).unwrap_err();
            assert!(err.0.contains("one character repeated"), "{err}");
        }
        check_secret(&format!("{}b", "a".repeat(32))).unwrap();
    }

    #[test]
    fn a_missing_secret_is_generated_once_beside_the_sqlite_file() {
        let dir = tempfile::tempdir().unwrap();
        // `dir` is absolute, so this is SQLAlchemy's four-slash form.
        let url = format!("sqlite:///{}/data/app.db", dir.path().display());
        let first = Settings::from_vars(&vars(&[("DATABASE_URL", &url)])).unwrap();
        let second = Settings::from_vars(&vars(&[("DATABASE_URL", &url)])).unwrap();
        assert_eq!(first.jwt_secret.expose_secret(), second.jwt_secret.expose_secret());
        assert!(first.jwt_secret.expose_secret().len() >= MIN_SECRET_BYTES);
        let file = dir.path().join("data/.jwt_secret");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
        }
        assert!(dir.path().join("data/.data_encryption_key").exists());
        let key = |s: &Settings| s.data_encryption_key.as_ref().unwrap().expose_secret().to_string();
        assert_eq!(key(&first), key(&second));
        assert_ne!(key(&first), first.jwt_secret.expose_secret());
        let debug = format!("{:?}", first.jwt_secret);
        assert!(!debug.contains(first.jwt_secret.expose_secret()), "Debug must not print the secret: {debug}");
        let pg = Settings::from_vars(&vars(&[("DATABASE_URL", "postgres://u@h/db")]));
        assert!(pg.err().unwrap().0.contains("JWT_SECRET"));
        let pg = Settings::from_vars(
            &vars(&[("DATABASE_URL", "postgres://u@h/db"), ("JWT_SECRET", SECRET)])
                .into_iter()
                .filter(|(k, _)| k != "DATA_ENCRYPTION_KEY")
                .collect(),
        );
        // A seed deployment's two variables are enough: no key, nothing written, two-factor set-up off.
        assert!(pg.unwrap().data_encryption_key.is_none());
        let pg = Settings::from_vars(&vars(&[
            ("DATABASE_URL", "postgres://u@h/db"),
            ("JWT_SECRET", SECRET),
            ("DATA_ENCRYPTION_KEY", ""),
            ("DATA_ENCRYPTION_PREVIOUS_KEYS", SECRET),
        ]));
        assert!(pg.err().unwrap().0.contains("DATA_ENCRYPTION_KEY is not"));
    }

    #[test]
    fn processes_starting_at_once_on_a_fresh_database_agree_on_one_secret() {
        for _round in 0..20 {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite:///{}/app.db", dir.path().display());
            let start = std::sync::Barrier::new(8);
            let secrets: Vec<String> = std::thread::scope(|s| {
                let handles: Vec<_> = (0..8)
                    .map(|_| {
                        s.spawn(|| {
                            start.wait();
                            let settings = Settings::from_vars(&vars(&[("DATABASE_URL", &url)]))
                                .unwrap_or_else(|e| panic!("a process starting at the same time failed: {e}"));
                            settings.jwt_secret.expose_secret().to_string()
                        })
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            assert!(secrets.iter().all(|s| s == &secrets[0]), "every process uses the winner's secret");
            let kept = std::fs::read_to_string(dir.path().join(".jwt_secret")).unwrap();
            assert_eq!(kept, secrets[0]);
            let mut names: Vec<String> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            assert_eq!(names, [".data_encryption_key", ".jwt_secret"], "no temporary file is left beside the secrets");
        }
    }
}
