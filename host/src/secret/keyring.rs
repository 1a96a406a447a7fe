//! Secrets at rest: values sealed with AES-256-GCM under the operator's keys.
//!
//! Tenants' secret settings given through the admin API and the values plugins keep in kv (the
//! ERP sessions and tokens Hubsoft's and Oobj's adapters cache) are stored **sealed**:
//!
//! ```text
//! sealed:v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>
//! ```
//!
//! - AES-256-GCM (RustCrypto's `aes-gcm`), a fresh 96-bit random nonce per value;
//! - the value's **place** is the associated data (`tenant/acme/connection/ixc/token`,
//!   `kv/acme/ixc/session`): a sealed value copied to another row does not open there;
//! - the key id is the first 8 hex characters of the key's SHA-256, so a value names the key
//!   that opens it and rotation can tell what is left to re-seal.
//!
//! # Keys
//! A keyring is a list of 32-byte keys, each written in base64; the **first seals**, every one
//! opens. Operators give it as a file (`PONTE_SECRET_KEY_FILE`, one key per line, `#` comments)
//! or as the variable `PONTE_SECRET_KEY` (keys separated by commas). `ponte serve` on SQLite
//! without either creates `<database>.key` beside the database file (mode 0600); on PostgreSQL,
//! where replicas must share it, a key is required.
//!
//! # Rotation
//! `ponte secrets rotate` puts a new key first in the key file and re-seals every stored value
//! under it; the old keys stay in the file (values still in flight may name them) until
//! `--retire` removes them. A replica that meets a value sealed under a key it doesn't hold
//! reads its key file again (at most once a second), so running replicas follow a rotation
//! without a restart.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::{Duration, Instant};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore as _;
use sha2::{Digest, Sha256};

/// What every sealed value starts with.
pub const SEALED_PREFIX: &str = "sealed:v1:";
/// The variable that may hold the keys (base64, comma-separated, the first seals).
pub const KEY_ENV: &str = "PONTE_SECRET_KEY";
/// The variable that may name the key file.
pub const KEY_FILE_ENV: &str = "PONTE_SECRET_KEY_FILE";
/// How often a replica may read its key file again on meeting an unknown key id.
const REREAD_EVERY: Duration = Duration::from_secs(1);

/// Why a keyring could not be read, or a value not opened. Never carries key material or a
/// value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyringError {
    /// The key file or variable is unusable.
    #[error("secret keys: {0}")]
    Keys(String),
    /// The text is not a sealed value.
    #[error("not a sealed value")]
    NotSealed,
    /// No key of this keyring has the value's key id.
    #[error("sealed under key `{0}`, which this keyring does not hold")]
    UnknownKey(String),
    /// The value was altered, or sealed for another place.
    #[error("a sealed value does not open: altered, or sealed for another place")]
    Tampered,
}

struct Key {
    id: String,
    cipher: Aes256Gcm,
    bytes: [u8; 32],
}

impl Key {
    fn new(bytes: [u8; 32]) -> Key {
        let digest = Sha256::digest(bytes);
        let id = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
        Key { id, cipher: Aes256Gcm::new(&bytes.into()), bytes }
    }
}

/// The operator's keys: the first seals, every one opens.
pub struct Keyring {
    keys: RwLock<Vec<Key>>,
    /// Where the keys came from, read again when a value names a key not held or the file
    /// changed (a rotation on another host).
    file: Option<PathBuf>,
    last_read: RwLock<Instant>,
    /// When the file was last looked at, and its modification time then.
    checked: RwLock<(Instant, Option<std::time::SystemTime>)>,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring").field("key_ids", &self.key_ids()).field("file", &self.file).finish()
    }
}

/// A fresh random key, in base64 (what a key file's line or `PONTE_SECRET_KEY` holds).
pub fn new_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    STANDARD.encode(bytes)
}

fn parse_keys(text: &str, separator: char) -> Result<Vec<Key>, KeyringError> {
    let mut keys = Vec::new();
    for (index, line) in text.split(separator).enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bytes = STANDARD
            .decode(line)
            .ok()
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or_else(|| KeyringError::Keys(format!("entry {} is not 32 bytes in base64", index + 1)))?;
        keys.push(Key::new(bytes));
    }
    if keys.is_empty() {
        return Err(KeyringError::Keys("no key given".into()));
    }
    Ok(keys)
}

impl Keyring {
    fn with(keys: Vec<Key>, file: Option<PathBuf>) -> Keyring {
        let modified = file.as_ref().and_then(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok());
        Keyring {
            keys: RwLock::new(keys),
            file,
            last_read: RwLock::new(Instant::now()),
            checked: RwLock::new((Instant::now(), modified)),
        }
    }

    /// Reads the key file again when it changed since it was last looked at (looked at once a
    /// second at most): after `ponte secrets rotate` on any host, this one seals with the new
    /// key within a second.
    fn follow_file(&self) {
        let Some(file) = &self.file else { return };
        {
            let checked = self.checked.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            if checked.0.elapsed() < REREAD_EVERY {
                return;
            }
        }
        let modified = std::fs::metadata(file).and_then(|m| m.modified()).ok();
        let changed = {
            let mut checked = self.checked.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            let changed = modified.is_some() && checked.1 != modified;
            *checked = (Instant::now(), modified);
            changed
        };
        if changed {
            match std::fs::read_to_string(file)
                .map_err(|e| KeyringError::Keys(e.to_string()))
                .and_then(|t| parse_keys(&t, '\n'))
            {
                Ok(keys) => *self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner) = keys,
                Err(e) => {
                    tracing::warn!(file = %file.display(), error = %e, "the secret key file could not be read again")
                }
            }
        }
    }

    /// A keyring of one random key that lives as long as the process (tests, `ponte invoke`).
    pub fn ephemeral() -> Keyring {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Keyring::with(vec![Key::new(bytes)], None)
    }

    /// Keys from text: base64 keys separated by commas or new lines, the first sealing.
    ///
    /// # Errors
    /// When an entry is not a 32-byte key in base64, or there is none.
    pub fn from_text(text: &str) -> Result<Keyring, KeyringError> {
        Ok(Keyring::with(parse_keys(&text.replace(',', "\n"), '\n')?, None))
    }

    /// Keys from a key file (one per line, `#` comments, the first sealing).
    ///
    /// # Errors
    /// When the file can't be read or holds no valid key.
    pub fn from_file(path: &Path) -> Result<Keyring, KeyringError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| KeyringError::Keys(format!("cannot read {}: {e}", path.display())))?;
        Ok(Keyring::with(parse_keys(&text, '\n')?, Some(path.to_owned())))
    }

    /// The key file at `path`, created with one new key (readable by its owner only) when it
    /// doesn't exist.
    ///
    /// # Errors
    /// When it can't be read or written.
    pub fn open_or_create(path: &Path) -> Result<Keyring, KeyringError> {
        if !path.exists() && create_key_file(path)? {
            tracing::info!(file = %path.display(), "created a secret key file; keep it with the database's backups");
        }
        // Another process may have created it a moment ago and still be writing it.
        let mut attempt = 0;
        loop {
            match Keyring::from_file(path) {
                Err(KeyringError::Keys(_)) if attempt < 20 => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_millis(10));
                }
                result => return result,
            }
        }
    }

    /// The keyring a server over `database` uses: the key file named (created when missing),
    /// else the keys of [`KEY_ENV`], else, for a SQLite file, `<file>.key` beside it (created
    /// when missing) and, for an in-memory SQLite, a key that dies with the process.
    ///
    /// # Errors
    /// Unusable keys, or a PostgreSQL store with no key given: replicas sharing it must share
    /// the key.
    pub fn for_database(database: &str, key_file: Option<&Path>) -> Result<Keyring, KeyringError> {
        let sqlite = database.starts_with("sqlite:");
        if let Some(file) = key_file {
            if sqlite || file.exists() {
                return Keyring::open_or_create(file);
            }
            // Replicas that each made their own would not open each other's values.
            return Err(KeyringError::Keys(format!(
                "{} does not exist: make it once (`ponte secrets new-key > {}`) and give every replica the same file",
                file.display(),
                file.display()
            )));
        }
        if let Ok(text) = std::env::var(KEY_ENV)
            && !text.trim().is_empty()
        {
            return Keyring::from_text(&text);
        }
        let Some(rest) = database.strip_prefix("sqlite://").or_else(|| database.strip_prefix("sqlite:")) else {
            return Err(KeyringError::Keys(format!(
                "a shared store needs the key that seals secrets: set {KEY_FILE_ENV} (a file every replica reads) or {KEY_ENV}; `ponte secrets new-key` makes one"
            )));
        };
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() || path == ":memory:" || database.contains("mode=memory") {
            return Ok(Keyring::ephemeral());
        }
        Keyring::open_or_create(Path::new(&format!("{path}.key")))
    }

    /// The keys' ids, the sealing one first.
    pub fn key_ids(&self) -> Vec<String> {
        self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner).iter().map(|k| k.id.clone()).collect()
    }

    /// The id of the key that seals.
    pub fn sealing_key_id(&self) -> String {
        self.key_ids().into_iter().next().unwrap_or_default()
    }

    /// Seals `plain` for `place` (the associated data: where the value is stored).
    pub fn seal(&self, place: &str, plain: &str) -> String {
        self.follow_file();
        let keys = self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        // A keyring always holds a key: every constructor refuses an empty list.
        let key = &keys[0];
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = key
            .cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plain.as_bytes(), aad: place.as_bytes() })
            .unwrap_or_default();
        let mut bytes = Vec::with_capacity(12 + sealed.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&sealed);
        format!("{SEALED_PREFIX}{}:{}", key.id, URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Opens a value sealed for `place`.
    ///
    /// # Errors
    /// [`KeyringError::NotSealed`], [`KeyringError::UnknownKey`] (after reading the key file
    /// again), or [`KeyringError::Tampered`].
    pub fn open(&self, place: &str, sealed: &str) -> Result<String, KeyringError> {
        let rest = sealed.strip_prefix(SEALED_PREFIX).ok_or(KeyringError::NotSealed)?;
        let (id, body) = rest.split_once(':').ok_or(KeyringError::NotSealed)?;
        let bytes = URL_SAFE_NO_PAD.decode(body).map_err(|_| KeyringError::NotSealed)?;
        if bytes.len() < 12 + 16 {
            return Err(KeyringError::NotSealed);
        }
        if !self.holds(id) {
            self.reread();
            if !self.holds(id) {
                return Err(KeyringError::UnknownKey(id.chars().take(8).collect()));
            }
        }
        let keys = self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = keys.iter().find(|k| k.id == id).ok_or_else(|| KeyringError::UnknownKey(id.to_owned()))?;
        let (nonce, sealed) = bytes.split_at(12);
        let plain = key
            .cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: place.as_bytes() })
            .map_err(|_| KeyringError::Tampered)?;
        String::from_utf8(plain).map_err(|_| KeyringError::Tampered)
    }

    /// Whether `text` is a sealed value.
    pub fn is_sealed(text: &str) -> bool {
        text.starts_with(SEALED_PREFIX)
    }

    /// Whether a sealed value was sealed by another key than the sealing one (so a rotation
    /// must re-seal it).
    pub fn is_stale(&self, sealed: &str) -> bool {
        let id = sealed.strip_prefix(SEALED_PREFIX).and_then(|rest| rest.split_once(':')).map(|(id, _)| id);
        id.is_some_and(|id| id != self.sealing_key_id())
    }

    fn holds(&self, id: &str) -> bool {
        self.keys.read().unwrap_or_else(std::sync::PoisonError::into_inner).iter().any(|k| k.id == id)
    }

    /// Reads the key file again (at most once every [`REREAD_EVERY`]): a rotation on another
    /// replica put a new key in it.
    fn reread(&self) {
        let Some(file) = &self.file else { return };
        {
            let mut last = self.last_read.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            if last.elapsed() < REREAD_EVERY {
                return;
            }
            *last = Instant::now();
        }
        match std::fs::read_to_string(file)
            .map_err(|e| KeyringError::Keys(e.to_string()))
            .and_then(|t| parse_keys(&t, '\n'))
        {
            Ok(keys) => *self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner) = keys,
            Err(e) => tracing::warn!(file = %file.display(), error = %e, "the secret key file could not be read again"),
        }
    }

    /// Rotation, step one: a new key first in the key file (the old ones kept after it), and in
    /// this keyring. Returns the new key's id.
    ///
    /// # Errors
    /// When the keyring has no file, or it can't be written.
    pub fn add_sealing_key(&self) -> Result<String, KeyringError> {
        let file = self.file.as_ref().ok_or_else(|| {
            KeyringError::Keys(format!("the keys come from {KEY_ENV}: put a new key first there (`ponte secrets new-key`) and run `ponte secrets reseal`"))
        })?;
        let fresh = new_key();
        let mut lines = vec![fresh.clone()];
        lines.extend(self.encoded());
        write_key_file(file, &lines)?;
        let key = parse_keys(&fresh, '\n')?.remove(0);
        let id = key.id.clone();
        self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner).insert(0, key);
        Ok(id)
    }

    /// Rotation, last step: only the sealing key is kept, in the file and here.
    ///
    /// # Errors
    /// When the keyring has no file, or it can't be written.
    pub fn retire_old_keys(&self) -> Result<Vec<String>, KeyringError> {
        let file =
            self.file.as_ref().ok_or_else(|| KeyringError::Keys(format!("remove the old keys from {KEY_ENV}")))?;
        let encoded = self.encoded();
        write_key_file(file, &encoded[..1])?;
        let mut keys = self.keys.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let retired = keys.drain(1..).map(|k| k.id).collect();
        Ok(retired)
    }

    fn encoded(&self) -> Vec<String> {
        self.keys
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|k| STANDARD.encode(k.bytes))
            .collect()
    }
}

/// Creates a key file with one new key, unless one exists (two replicas starting at once
/// agree on the one created first). Whether this call created it.
fn create_key_file(path: &Path) -> Result<bool, KeyringError> {
    use std::io::Write as _;
    let fail = |e: std::io::Error| KeyringError::Keys(format!("cannot write {}: {e}", path.display()));
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(fail(e)),
    };
    file.write_all(key_file_text(&[new_key()]).as_bytes()).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    Ok(true)
}

fn key_file_text(keys: &[String]) -> String {
    format!("# Ponte's secret keys (AES-256-GCM, base64). The first seals; every one opens.\n{}\n", keys.join("\n"))
}

/// Writes a key file whole (through a temporary file renamed over it), readable by its owner
/// only.
fn write_key_file(path: &Path, keys: &[String]) -> Result<(), KeyringError> {
    let fail = |e: std::io::Error| KeyringError::Keys(format!("cannot write {}: {e}", path.display()));
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(fail)?;
    }
    let text = key_file_text(keys);
    let temporary = path.with_extension("key.new");
    {
        use std::io::Write as _;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let mut file = options.open(&temporary).map_err(fail)?;
        file.write_all(text.as_bytes()).map_err(fail)?;
        file.sync_all().map_err(fail)?;
    }
    std::fs::rename(&temporary, path).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_opens_only_in_its_place_and_unaltered() {
        let ring = Keyring::ephemeral();
        let sealed = ring.seal("tenant/acme/connection/ixc/token", "s3cr3t-token");
        assert!(sealed.starts_with(SEALED_PREFIX), "{sealed}");
        assert!(!sealed.contains("s3cr3t"));
        assert_eq!(ring.open("tenant/acme/connection/ixc/token", &sealed).as_deref(), Ok("s3cr3t-token"));
        assert_eq!(ring.open("tenant/other/connection/ixc/token", &sealed), Err(KeyringError::Tampered));
        let mut altered = sealed.clone();
        let last = altered.pop().expect("non-empty");
        altered.push(if last == 'A' { 'B' } else { 'A' });
        assert!(ring.open("tenant/acme/connection/ixc/token", &altered).is_err());
        assert_eq!(ring.open("p", "plain"), Err(KeyringError::NotSealed));
        assert_ne!(ring.seal("p", "same"), ring.seal("p", "same"), "a fresh nonce every time");
    }

    #[test]
    fn another_keyring_cannot_open_and_says_which_key_it_lacks() {
        let sealed = Keyring::ephemeral().seal("p", "v");
        let other = Keyring::ephemeral();
        assert!(matches!(other.open("p", &sealed), Err(KeyringError::UnknownKey(_))));
    }

    #[test]
    fn rotation_adds_a_sealing_key_keeps_old_values_open_then_retires() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("ponte.key");
        let ring = Keyring::open_or_create(&path)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            assert_eq!(std::fs::metadata(&path)?.permissions().mode() & 0o777, 0o600);
        }
        let old = ring.seal("p", "v");
        let old_id = ring.sealing_key_id();
        // Another replica with the same file, which will see the rotation only through the file.
        let replica = Keyring::from_file(&path)?;

        let new_id = ring.add_sealing_key()?;
        assert_ne!(new_id, old_id);
        assert_eq!(ring.key_ids(), [new_id.clone(), old_id.clone()]);
        assert!(ring.is_stale(&old));
        let fresh = ring.seal("p", "w");
        assert!(!ring.is_stale(&fresh));
        assert_eq!(ring.open("p", &old).as_deref(), Ok("v"));
        // The replica doesn't hold the new key yet: it reads its file again on meeting it.
        *replica.last_read.write().expect("lock") = Instant::now() - REREAD_EVERY;
        assert_eq!(replica.open("p", &fresh).as_deref(), Ok("w"));
        // Another replica that only seals follows the file too.
        let sealer = Keyring::from_file(&path)?;
        std::fs::write(&path, format!("{}\n", new_key()))?;
        sealer.checked.write().expect("lock").0 = Instant::now() - REREAD_EVERY;
        let before = sealer.sealing_key_id();
        let sealed = sealer.seal("p", "v");
        assert!(!sealed.contains(&before), "sealed under the file's new key");
        // (the rotated file is written back below)
        write_key_file(&path, &ring.encoded())?;

        assert_eq!(ring.retire_old_keys()?, [old_id]);
        assert!(matches!(Keyring::from_file(&path)?.open("p", &old), Err(KeyringError::UnknownKey(_))));
        assert!(!std::fs::read_to_string(&path)?.contains(&STANDARD.encode([0u8; 4])));
        Ok(())
    }

    #[test]
    fn a_sqlite_store_gets_a_key_file_beside_it_and_postgres_needs_one_given() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let db = dir.path().join("ponte.db");
        let ring = Keyring::for_database(&format!("sqlite://{}?mode=rwc", db.display()), None)?;
        assert!(dir.path().join("ponte.db.key").is_file());
        let again = Keyring::for_database(&format!("sqlite://{}", db.display()), None)?;
        assert_eq!(again.key_ids(), ring.key_ids(), "the same file, the same key");
        assert_eq!(Keyring::for_database("sqlite::memory:", None)?.key_ids().len(), 1);
        if std::env::var(KEY_ENV).is_err() {
            let error = Keyring::for_database("postgres://postgres@127.0.0.1/ponte", None).expect_err("needs a key");
            assert!(error.to_string().contains(KEY_FILE_ENV), "{error}");
        }
        let named = dir.path().join("shared.key");
        let missing =
            Keyring::for_database("postgres://postgres@127.0.0.1/ponte", Some(&named)).expect_err("made once");
        assert!(missing.to_string().contains("ponte secrets new-key"), "{missing}");
        std::fs::write(&named, new_key())?;
        let ring = Keyring::for_database("postgres://postgres@127.0.0.1/ponte", Some(&named))?;
        assert_eq!(Keyring::from_file(&named)?.key_ids(), ring.key_ids());
        Ok(())
    }

    #[test]
    fn bad_key_text_is_refused_without_echoing_it() {
        for text in ["", "# only a comment", "bm90IDMyIGJ5dGVz", "!!!"] {
            let error = Keyring::from_text(text).expect_err("refused");
            assert!(!error.to_string().contains("bm90"), "{error}");
        }
        let two = format!("{},{}", new_key(), new_key());
        assert_eq!(Keyring::from_text(&two).map(|k| k.key_ids().len()), Ok(2));
    }
}
