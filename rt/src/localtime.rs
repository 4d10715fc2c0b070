//! Calendar time in the process's local time zone, through libc's
//! `localtime_r` and `mktime` (which follow `TZ`, else /etc/localtime).
//! The language's `os/date` and `os/mktime` use these for local time.
//!
//! Invariants: this is the only time-zone `unsafe` in the workspace; every
//! call runs `tzset` first, so a `TZ` changed while the process runs is
//! seen (glibc's `localtime_r` alone reads it only once).

use std::mem::MaybeUninit;

extern "C" {
    // POSIX; not bound by the libc crate on Linux.
    fn tzset();
}

/// A broken-down local time, as C's `struct tm` has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LocalTime {
    pub seconds: i32,
    pub minutes: i32,
    pub hours: i32,
    /// Day of the month, 1-31.
    pub month_day: i32,
    /// Month, 0-11.
    pub month: i32,
    pub year: i64,
    /// Days since Sunday, 0-6.
    pub week_day: i32,
    /// Days since January 1, 0-365.
    pub year_day: i32,
    /// Daylight saving time in effect; `None` (for `mktime`) lets libc decide.
    pub dst: Option<bool>,
    /// Seconds east of UTC.
    pub utc_offset: i64,
}

/// `t` (seconds since the epoch) in the local zone; `None` if out of range.
pub fn local_time(t: i64) -> Option<LocalTime> {
    let t = libc::time_t::try_from(t).ok()?;
    let mut tm = MaybeUninit::<libc::tm>::zeroed();
    // SAFETY: tzset takes no arguments and only reads the environment;
    // localtime_r writes the struct `tm` we own and returns it or null.
    let ok = unsafe {
        tzset();
        !libc::localtime_r(&t, tm.as_mut_ptr()).is_null()
    };
    if !ok {
        return None;
    }
    // SAFETY: zeroed is a valid `tm`, and localtime_r filled it in.
    let tm = unsafe { tm.assume_init() };
    Some(LocalTime {
        seconds: tm.tm_sec,
        minutes: tm.tm_min,
        hours: tm.tm_hour,
        month_day: tm.tm_mday,
        month: tm.tm_mon,
        year: i64::from(tm.tm_year) + 1900,
        week_day: tm.tm_wday,
        year_day: tm.tm_yday,
        dst: Some(tm.tm_isdst > 0),
        utc_offset: tm.tm_gmtoff,
    })
}

/// Seconds since the epoch of a local time; fields out of their ranges
/// carry over (as C's `mktime` normalises). `None` if not representable.
pub fn local_mktime(lt: &LocalTime) -> Option<i64> {
    let year = i32::try_from(lt.year - 1900).ok()?;
    // SAFETY: an all-zero `tm` is valid (null tm_zone is allowed).
    let mut tm: libc::tm = unsafe { MaybeUninit::zeroed().assume_init() };
    tm.tm_sec = lt.seconds;
    tm.tm_min = lt.minutes;
    tm.tm_hour = lt.hours;
    tm.tm_mday = lt.month_day;
    tm.tm_mon = lt.month;
    tm.tm_year = year;
    tm.tm_isdst = match lt.dst {
        Some(true) => 1,
        Some(false) => 0,
        None => -1,
    };
    // SAFETY: tzset only reads the environment; mktime reads and
    // normalises the `tm` we own.
    let t = unsafe {
        tzset();
        libc::mktime(&mut tm)
    };
    // -1 is also a valid time (one second before the epoch): it is the
    // answer only if the normalised struct names that very instant.
    if t == -1 {
        let at = local_time(-1)?;
        let same = (at.year, at.year_day, at.hours, at.minutes, at.seconds)
            == (
                i64::from(tm.tm_year) + 1900,
                tm.tm_yday,
                tm.tm_hour,
                tm.tm_min,
                tm.tm_sec,
            );
        return same.then_some(-1);
    }
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg_attr(miri, ignore)] // calls into libc
    fn round_trips_through_mktime() {
        let t = 1_700_000_000;
        let lt = local_time(t).expect("in range");
        assert_eq!(local_mktime(&lt), Some(t));
        assert!((1..=31).contains(&lt.month_day));
        assert!((0..=11).contains(&lt.month));
    }
}
