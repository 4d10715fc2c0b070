//! Results files: the UTC timestamp that names them, and writing them.
//!
//! Each run writes `perf/results/<YYYY-MM-DDTHH-MM-SSZ>.md` and overwrites
//! `perf/results/latest.md` with the same text. Invariant: the timestamp is
//! computed from the system clock in UTC with no time-zone database, and file
//! names contain no `:` (portable across file systems).

use std::io;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// A UTC moment broken into calendar fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utc {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl Utc {
    pub fn now() -> Utc {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Utc::from_unix(secs as i64)
    }

    /// Converts seconds since 1970-01-01T00:00:00Z (proleptic Gregorian).
    pub fn from_unix(secs: i64) -> Utc {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Utc {
            year,
            month,
            day,
            hour: (rem / 3600) as u32,
            minute: (rem % 3600 / 60) as u32,
            second: (rem % 60) as u32,
        }
    }

    /// `2026-11-22T02-40-05Z`, used as a file stem.
    pub fn file_stem(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}-{:02}-{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// `2026-11-22 02:40:05 UTC`, used in the report header.
    pub fn display(&self) -> String {
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Days since the epoch to (year, month, day). Years are counted in 400-year
/// eras of 146,097 days, each starting on March 1 so that the leap day falls
/// at the end of the year.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468; // days from 0000-03-01 to 1970-01-01
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Writes `text` to `<dir>/<stem>.md` and `<dir>/latest.md`; returns the
/// timestamped path.
pub fn write(dir: &Path, stem: &str, text: &str) -> io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{stem}.md"));
    std::fs::write(&path, text)?;
    std::fs::write(dir.join("latest.md"), text)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants_convert_exactly() {
        let epoch = Utc::from_unix(0);
        assert_eq!(epoch.file_stem(), "1970-01-01T00-00-00Z");
        // 2000-02-29 is a leap day in a year divisible by 400.
        assert_eq!(
            Utc::from_unix(951_782_400).display(),
            "2000-02-29 00:00:00 UTC"
        );
        assert_eq!(
            Utc::from_unix(1_700_000_000).display(),
            "2023-11-14 22:13:20 UTC"
        );
        assert_eq!(Utc::from_unix(-1).display(), "1969-12-31 23:59:59 UTC");
        // 2100 is not a leap year: Feb 28 is followed by Mar 1.
        assert_eq!(
            Utc::from_unix(4_107_542_400).display(),
            "2100-03-01 00:00:00 UTC"
        );
    }

    #[test]
    fn write_makes_the_stamped_file_and_latest() {
        let dir = tempfile::tempdir().unwrap();
        let results = dir.path().join("results");
        let path = write(&results, "2026-01-02T03-04-05Z", "hello\n").unwrap();
        assert_eq!(std::fs::read_to_string(path).unwrap(), "hello\n");
        let latest = std::fs::read_to_string(results.join("latest.md")).unwrap();
        assert_eq!(latest, "hello\n");
    }
}
