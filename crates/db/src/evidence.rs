//! Photos of evidence (issue 27): a photo sent with a change or uploaded before it, checked
//! (size, type by its bytes), cleaned (EXIF removed, the place kept only where the user chose to
//! send it), hashed (SHA-256) and kept with its uploader, its arrival and the phone's time; shown
//! only to whoever may see what it is evidence of.
//!
//! Where the bytes live: beside an SQLite store, in the data folder (`evidence/ab/<sha256>`, named
//! by content, so the same photo is written once and every read checks it is what was kept); on
//! PostgreSQL, in the database (a `bytea` column, kept out of line by TOAST and copied by
//! `pg_dump` and replication with everything else). A store without a folder (in memory) keeps
//! them in the database too.

use std::path::{Path, PathBuf};

use frontline_core::DomainError;
use frontline_core::access::{Actor, Scope};
use frontline_core::time::Timing;

use crate::units::push_scope;
use crate::{Db, DbError, Sql, Tx};

/// A photo sent with a change (a rectification, a meeting): its bytes as sent, and where it was
/// taken only where the user chose to send it.
#[derive(Debug, Clone)]
pub struct Upload {
    pub content_type: String,
    pub data: Vec<u8>,
    pub place: Option<(f64, f64)>,
}

/// The photo evidence of a change: sent with it (the phone's form), or uploaded before by the
/// same person (`POST /api/v1/attachments`, the API's two steps).
#[derive(Debug, Clone)]
pub enum PhotoEvidence {
    Sent(Upload),
    Uploaded(i64),
}

/// Keeps the photo evidence of a change in its transaction (`cleaned` is the sent photo, cleaned
/// before the transaction); an uploaded one must be the caller's own. Returns the photo's id.
pub(crate) async fn keep_evidence(
    tx: &mut Tx,
    person: Option<i64>,
    evidence: Option<&PhotoEvidence>,
    cleaned: Option<CleanPhoto>,
    when: Timing,
) -> Result<Option<i64>, DbError> {
    match (evidence, cleaned) {
        (_, Some(photo)) => Ok(Some(insert_photo(tx, person, photo, when).await?)),
        (Some(PhotoEvidence::Uploaded(id)), None) => {
            let mine = tx
                .count(&Sql::with(
                    "SELECT COUNT(*) FROM attachments WHERE id = $1 AND person_id = $2",
                    vec![(*id).into(), person.unwrap_or(-1).into()],
                ))
                .await?;
            if mine == 0 {
                return Err(DomainError::invalid("attachment_id", "error.photo.unknown").into());
            }
            Ok(Some(*id))
        }
        _ => Ok(None),
    }
}

/// Cleans a photo sent with a change, before its transaction (`None` for none or an uploaded one).
pub(crate) fn clean_evidence(evidence: Option<&PhotoEvidence>) -> Result<Option<CleanPhoto>, DomainError> {
    match evidence {
        Some(PhotoEvidence::Sent(u)) => Ok(Some(clean_photo("photo", &u.content_type, &u.data, u.place)?)),
        _ => Ok(None),
    }
}

/// The largest photo taken (the phone page shrinks photos far below it before sending).
pub const PHOTO_MAX_BYTES: usize = 5 * 1024 * 1024;

/// A photo checked and cleaned for keeping: its size and type checked, the type its bytes show
/// (what it is stored and served as, not the label it came with), what the file says beyond the
/// picture removed (EXIF: where it was taken, the phone), and the place only if it is a place.
pub(crate) fn clean_photo(
    field: &str,
    content_type: &str,
    data: &[u8],
    place: Option<(f64, f64)>,
) -> Result<CleanPhoto, DomainError> {
    if data.is_empty() || data.len() > PHOTO_MAX_BYTES {
        return Err(DomainError::invalid(field, "error.task.photo_size"));
    }
    let kind = match frontline_core::tasks::image_type(data) {
        Some(kind) if content_type.starts_with("image/") => kind,
        _ => return Err(DomainError::invalid(field, "error.task.photo_type")),
    };
    let data = frontline_core::tasks::strip_image_metadata(data)
        .ok_or_else(|| DomainError::invalid(field, "error.task.photo_type"))?;
    if let Some((lat, lon)) = place
        && (!(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon))
    {
        return Err(DomainError::invalid(field, "error.task.photo_place"));
    }
    Ok(CleanPhoto { content_type: kind, data, place })
}

pub(crate) struct CleanPhoto {
    content_type: &'static str,
    data: Vec<u8>,
    place: Option<(f64, f64)>,
}

/// Keeps a cleaned photo with its content hash, its uploader, the time it arrived and, for one
/// queued on a phone without signal, the time the phone says it was sent from there.
pub(crate) async fn insert_photo(
    tx: &mut Tx,
    person: Option<i64>,
    photo: CleanPhoto,
    when: Timing,
) -> Result<i64, DbError> {
    use sha2::Digest;
    let size = photo.data.len() as i64;
    let hash = hex::encode(sha2::Sha256::digest(&photo.data));
    let folder = match tx {
        Tx::Sqlite(_) => tx.opt::<(String,)>(&Sql::new(STORE_FILE)).await?.and_then(|(f,)| folder_of(&f)),
        Tx::Pg(_) => None,
    };
    let (storage, data) = match folder {
        Some(folder) => {
            write_once(folder, hash.clone(), photo.data).await?;
            (Storage::Folder, Vec::new())
        }
        None => (Storage::Database, photo.data),
    };
    tx.insert(&Sql::with(
        "INSERT INTO attachments (content_type, size, data, stored, sha256, latitude, longitude, person_id, created_at, \
         device_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        vec![
            photo.content_type.into(),
            size.into(),
            data.into(),
            storage.as_str().into(),
            hash.into(),
            photo.place.map(|p| p.0).into(),
            photo.place.map(|p| p.1).into(),
            person.into(),
            when.received.into(),
            when.device.into(),
        ],
    ))
    .await
}

/// Where a photo's bytes are kept (`attachments.stored`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Storage {
    /// In the `data` column.
    Database,
    /// In the data folder beside the SQLite store, named by its SHA-256.
    Folder,
}

impl Storage {
    fn as_str(self) -> &'static str {
        match self {
            Storage::Database => "db",
            Storage::Folder => "folder",
        }
    }
}

/// The file of an SQLite store's main database ("" in memory).
const STORE_FILE: &str = "SELECT file FROM pragma_database_list WHERE name = 'main'";

/// The folder photos are kept in beside an SQLite store file: `evidence` in the data folder.
/// None for a store in memory.
pub fn folder_of(store_file: &str) -> Option<PathBuf> {
    let file = Path::new(store_file);
    if store_file.is_empty() {
        return None;
    }
    Some(file.parent().unwrap_or_else(|| Path::new(".")).join(EVIDENCE_FOLDER))
}

/// The name of the folder of photos in the data folder (and beside a backup file, with the
/// backup's name before it).
pub const EVIDENCE_FOLDER: &str = "evidence";

/// The file of a photo in the folder: `ab/abcdef…` (the first two digits of its hash spread the
/// files over 256 folders).
fn file_in(folder: &Path, sha256: &str) -> PathBuf {
    folder.join(sha256.get(..2).unwrap_or("00")).join(sha256)
}

/// Writes a photo into the folder under its hash, unless it is there already whole (the same
/// bytes; a file damaged on disk is written again): written to a temporary name, synced, then
/// renamed, so a file under a hash is always whole.
async fn write_once(folder: PathBuf, sha256: String, data: Vec<u8>) -> Result<(), DbError> {
    let failed = |e: std::io::Error| DbError::Config(format!("keeping a photo in {}: {e}", folder.display()));
    let path = file_in(&folder, &sha256);
    let written = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        use sha2::Digest;
        use std::io::Write;
        if std::fs::read(&path).is_ok_and(|kept| hex::encode(sha2::Sha256::digest(&kept)) == sha256) {
            return Ok(());
        }
        let dir = path.parent().unwrap_or_else(|| Path::new("."));
        std::fs::create_dir_all(dir)?;
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let part = dir.join(format!("{sha256}.{}.{nanos}.part", std::process::id()));
        let mut file = std::fs::File::create(&part)?;
        file.write_all(&data)?;
        file.sync_all()?;
        std::fs::rename(&part, &path)
    })
    .await
    .map_err(|e| DbError::Config(format!("keeping a photo: {e}")))?;
    written.map_err(failed)
}

/// Reads a photo kept in the folder, checking that its bytes still have the hash they were kept
/// with: a file changed or lost on disk is an error, never served as evidence.
async fn read_kept(db: &Db, sha256: &str) -> Result<Vec<u8>, DbError> {
    use sha2::Digest;
    let (file,): (String,) = db.one(&Sql::new(STORE_FILE)).await?;
    let folder =
        folder_of(&file).ok_or_else(|| DbError::Config("a photo kept in a folder, but the store has none".into()))?;
    let path = file_in(&folder, sha256);
    let data = tokio::fs::read(&path).await.map_err(|e| DbError::Config(format!("reading {}: {e}", path.display())))?;
    if hex::encode(sha2::Sha256::digest(&data)) != sha256 {
        return Err(DbError::Config(format!("{} no longer holds the photo kept under its hash", path.display())));
    }
    Ok(data)
}

/// Who may upload a photo for later: whoever signs lists, logs visits, hands in rectifications,
/// records meetings or answers work orders.
const UPLOADERS: [&str; 5] =
    ["work:task:sign", "inspect:visit:log", "inspect:finding:rectify", "work:life:record", "order:request:handle"];

/// A photo kept for a later sign-off, visit or rectification (the API's two-step upload).
pub async fn attach(
    db: &Db,
    actor: &Actor,
    content_type: &str,
    data: Vec<u8>,
    place: Option<(f64, f64)>,
    when: Timing,
) -> Result<i64, DbError> {
    if !UPLOADERS.iter().any(|p| actor.can(p)) {
        actor.require(UPLOADERS[0])?;
    }
    let photo = clean_photo("photo", content_type, &data, place)?;
    let mut tx = db.begin().await?;
    let id = insert_photo(&mut tx, actor.scope.person_id, photo, when).await?;
    tx.commit().await?;
    Ok(id)
}

/// A photo the caller may see: their own, or one of a sign-off, a meeting, a rectification, an
/// inspection visit or a work order in their units.
pub async fn attachment(db: &Db, scope: &Scope, id: i64) -> Result<(String, Vec<u8>), DbError> {
    let mut sql = Sql::new("SELECT a.content_type, a.data, a.stored, a.sha256 FROM attachments a WHERE a.id = ");
    sql.bind(id).push(" AND (a.person_id = ").bind(scope.person_id.unwrap_or(-1));
    sql.push(" OR EXISTS (SELECT 1 FROM task_checks c JOIN task_instances i ON i.id = c.instance_id JOIN units u ON u.id = i.unit_id \
        WHERE c.attachment_id = a.id AND ");
    push_scope(&mut sql, "u.path", scope);
    sql.push(
        ") OR EXISTS (SELECT 1 FROM life_meeting_photos mp JOIN life_meetings m ON m.id = mp.meeting_id \
        JOIN units u ON u.id = m.unit_id WHERE mp.attachment_id = a.id AND ",
    );
    push_scope(&mut sql, "u.path", scope);
    sql.push(
        ") OR EXISTS (SELECT 1 FROM rectifications r JOIN findings f ON f.id = r.finding_id \
        JOIN units u ON u.id = f.unit_id WHERE r.attachment_id = a.id AND ",
    );
    push_scope(&mut sql, "u.path", scope);
    sql.push(
        ") OR EXISTS (SELECT 1 FROM inspection_visits v JOIN units u ON u.id = v.unit_id \
        WHERE v.attachment_id = a.id AND ",
    );
    push_scope(&mut sql, "u.path", scope);
    // A work order's photo: seen where the order is (its place or its owner).
    sql.push(
        ") OR EXISTS (SELECT 1 FROM order_steps s JOIN work_orders o ON o.id = s.order_id \
        JOIN units pu ON pu.id = o.place_unit_id JOIN units ou ON ou.id = o.owner_unit_id WHERE s.attachment_id = a.id AND (",
    );
    push_scope(&mut sql, "pu.path", scope);
    sql.push(" OR ");
    push_scope(&mut sql, "ou.path", scope);
    sql.push(")))");
    let (content_type, data, stored, sha256): (String, Vec<u8>, String, Option<String>) =
        db.opt(&sql).await?.ok_or(DomainError::NotFound)?;
    match (stored.as_str(), sha256) {
        ("folder", Some(sha256)) => Ok((content_type, read_kept(db, &sha256).await?)),
        _ => Ok((content_type, data)),
    }
}
