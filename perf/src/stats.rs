//! Summary statistics over the timed runs of one implementation.
//!
//! Invariant: every function takes the samples as given (unsorted) and never
//! reorders the caller's slice; an empty slice yields `None`.

use std::time::Duration;

/// The median; for an even count, the mean of the two middle samples.
pub fn median(samples: &[Duration]) -> Option<Duration> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort();
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        Some(sorted[mid])
    } else {
        Some((sorted[mid - 1] + sorted[mid]) / 2)
    }
}

/// The fastest sample.
pub fn min(samples: &[Duration]) -> Option<Duration> {
    samples.iter().min().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: &[u64]) -> Vec<Duration> {
        v.iter().map(|&m| Duration::from_millis(m)).collect()
    }

    #[test]
    fn median_of_odd_count_is_the_middle_sample() {
        assert_eq!(median(&ms(&[30, 10, 20])), Some(Duration::from_millis(20)));
        assert_eq!(median(&ms(&[7])), Some(Duration::from_millis(7)));
    }

    #[test]
    fn median_of_even_count_is_the_mean_of_the_middle_two() {
        assert_eq!(
            median(&ms(&[40, 10, 30, 20])),
            Some(Duration::from_millis(25))
        );
    }

    #[test]
    fn empty_input_has_no_summary() {
        assert_eq!(median(&[]), None);
        assert_eq!(min(&[]), None);
    }

    #[test]
    fn min_and_order_preserved() {
        let samples = ms(&[5, 3, 9]);
        assert_eq!(min(&samples), Some(Duration::from_millis(3)));
        assert_eq!(samples, ms(&[5, 3, 9]));
    }
}
