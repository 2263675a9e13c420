//! Running an optimizer on a landscape: the full history and a verdict.

use super::landscape::Landscape;
use super::{Optimizer, StepError};
use serde::{Deserialize, Serialize};

/// The longest cycle [`verdict`] looks for.
const MAX_PERIOD: usize = 8;

/// What became of a run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Verdict {
    /// The iterate stopped moving (the gradient there is 0) without crossing the peak.
    Converged {
        /// The first step from which the iterate no longer moves.
        step: usize,
        /// Where it stopped.
        w: f64,
    },
    /// It never crossed the peak within the steps run.
    Stuck {
        /// The exact cycle it settled into, smallest value first; empty when none was found.
        cycle: Vec<f64>,
        /// The lowest iterate over the second half of the run.
        low: f64,
        /// The highest iterate over the second half of the run.
        high: f64,
    },
    /// It crossed the bump's peak (and, the loss descending beyond, never comes back).
    Escaped {
        /// The step whose iterate first lies past the peak.
        step: usize,
    },
    /// The iterate stopped being a finite number.
    Diverged {
        /// The first step with a non-finite iterate.
        step: usize,
    },
}

/// One optimizer run: iterates w₀ … w_T, losses and per-step records.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Run<R> {
    /// The iterates, starting with w₀.
    pub w: Vec<f64>,
    /// The loss at each iterate.
    pub f: Vec<f64>,
    /// One record per step (t = 1 … T).
    pub steps: Vec<R>,
    /// What became of the run.
    pub verdict: Verdict,
}

/// Whether `w` lies past the peak at `peak`: beyond it, or on it with a descending slope.
pub fn past_peak(landscape: &Landscape, peak: f64, w: f64) -> bool {
    w > peak || (w == peak && landscape.slope(w) < 0.0)
}

/// Run `optimizer` from `start` for `steps` steps; stop early at an escape when asked.
///
/// `peak` is the bump's top (`None` for a bump that cannot be crossed).
pub fn simulate<O: Optimizer>(
    optimizer: &mut O,
    landscape: &Landscape,
    peak: Option<f64>,
    start: f64,
    steps: usize,
    stop_at_escape: bool,
) -> Result<Run<O::Record>, StepError> {
    let mut records = Vec::with_capacity(steps);
    let path = drive(
        optimizer,
        landscape,
        peak,
        start,
        steps,
        stop_at_escape,
        |record| records.push(record),
    )?;
    let f = path.w.iter().map(|&x| landscape.value(x)).collect();
    Ok(Run {
        verdict: path.verdict(),
        w: path.w,
        f,
        steps: records,
    })
}

/// The iterates of a run and how it ended, without the per-step records and losses (what the
/// threshold searches need; [`simulate`] adds the rest).
#[derive(Debug, Clone, PartialEq)]
pub struct Path {
    /// The iterates, starting with w₀.
    pub w: Vec<f64>,
    /// The step whose iterate first lay past the peak, if one did.
    pub escaped: Option<usize>,
    /// The first step with a non-finite iterate, if there was one (the run stopped there).
    pub diverged: Option<usize>,
}

impl Path {
    /// The same verdict [`simulate`] gives for this run.
    pub fn verdict(&self) -> Verdict {
        match (self.diverged, self.escaped) {
            (Some(step), _) => Verdict::Diverged { step },
            (None, Some(step)) => Verdict::Escaped { step },
            (None, None) => verdict(&self.w),
        }
    }
}

/// [`simulate`] without its records and losses: the same steps, the same iterates.
pub fn iterates<O: Optimizer>(
    optimizer: &mut O,
    landscape: &Landscape,
    peak: Option<f64>,
    start: f64,
    steps: usize,
    stop_at_escape: bool,
) -> Result<Path, StepError> {
    drive(
        optimizer,
        landscape,
        peak,
        start,
        steps,
        stop_at_escape,
        |_| {},
    )
}

/// The one loop behind [`simulate`] and [`iterates`]: every step's record goes to `record`.
fn drive<O: Optimizer>(
    optimizer: &mut O,
    landscape: &Landscape,
    peak: Option<f64>,
    start: f64,
    steps: usize,
    stop_at_escape: bool,
    mut record: impl FnMut(O::Record),
) -> Result<Path, StepError> {
    let progress = Progress::new(start, steps);
    drive_from(
        optimizer,
        landscape,
        peak,
        stop_at_escape,
        progress,
        1,
        steps,
        &mut record,
    )
}

/// A run so far: its iterates, the last of them, and its escape step if it had one.
#[derive(Default)]
struct Progress {
    w: Vec<f64>,
    current: f64,
    escaped: Option<usize>,
}

impl Progress {
    /// A run at `start` that will take up to `steps` steps.
    fn new(start: f64, steps: usize) -> Progress {
        let mut w = Vec::with_capacity(steps.saturating_add(1).min(1 << 20));
        w.push(start);
        Progress {
            w,
            current: start,
            escaped: None,
        }
    }

    fn path(self, diverged: Option<usize>) -> Path {
        Path {
            w: self.w,
            escaped: self.escaped,
            diverged,
        }
    }
}

/// What a step left the run to do.
#[derive(Clone, Copy)]
enum Flow {
    /// Go on.
    Go,
    /// The iterate stopped being finite: the run ends here.
    Diverged,
    /// It escaped and the run stops at an escape.
    Stopped,
}

/// Steps `first..=steps` of a run that has come as far as `progress`.
#[allow(clippy::too_many_arguments)]
fn drive_from<O: Optimizer>(
    optimizer: &mut O,
    landscape: &Landscape,
    peak: Option<f64>,
    stop_at_escape: bool,
    mut progress: Progress,
    first: usize,
    steps: usize,
    record: &mut impl FnMut(O::Record),
) -> Result<Path, StepError> {
    for t in first..=steps {
        match advance(
            optimizer,
            landscape,
            peak,
            stop_at_escape,
            t,
            &mut progress,
            record,
        )? {
            Flow::Go => {}
            Flow::Diverged => return Ok(progress.path(Some(t))),
            Flow::Stopped => break,
        }
    }
    Ok(progress.path(None))
}

/// Step `t` of a run.
#[inline(always)]
fn advance<O: Optimizer>(
    optimizer: &mut O,
    landscape: &Landscape,
    peak: Option<f64>,
    stop_at_escape: bool,
    t: usize,
    progress: &mut Progress,
    record: &mut impl FnMut(O::Record),
) -> Result<Flow, StepError> {
    let current = progress.current;
    let step = optimizer.step(t, current, landscape.slope(current))?;
    let next = O::position(&step);
    record(step);
    progress.current = next;
    progress.w.push(next);
    if !next.is_finite() {
        return Ok(Flow::Diverged);
    }
    if progress.escaped.is_none() && peak.is_some_and(|p| past_peak(landscape, p, next)) {
        progress.escaped = Some(t);
        if stop_at_escape {
            return Ok(Flow::Stopped);
        }
    }
    Ok(Flow::Go)
}

/// The verdict on iterates that never crossed the peak: converged, or stuck (with a cycle
/// when the tail of the run repeats exactly, up to 1e-12 relative rounding).
fn verdict(w: &[f64]) -> Verdict {
    let n = w.len();
    if n >= 2 && w[n - 1] == w[n - 2] {
        let step = (1..n)
            .rev()
            .take_while(|&i| w[i] == w[i - 1])
            .last()
            .unwrap_or(n - 1);
        return Verdict::Converged { step, w: w[n - 1] };
    }
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs()).max(1.0);
    let cycle = (2..=MAX_PERIOD)
        .find(|&p| n >= 3 * p && (n - 2 * p..n).all(|i| close(w[i], w[i - p])))
        .map(|p| {
            let mut tail = w[n - p..].to_vec();
            let lowest = (0..p).fold(0, |best, i| if tail[i] < tail[best] { i } else { best });
            tail.rotate_left(lowest);
            tail
        })
        .unwrap_or_default();
    let late = &w[n / 2..];
    let low = late.iter().copied().fold(f64::INFINITY, f64::min);
    let high = late.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    Verdict::Stuck { cycle, low, high }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_two_cycle() {
        let w = [0.0, 0.3, 0.6, 0.9, 1.2, 0.9, 1.2, 0.9, 1.2, 0.9, 1.2];
        match verdict(&w) {
            Verdict::Stuck { cycle, low, high } => {
                assert_eq!(cycle, vec![0.9, 1.2]);
                assert_eq!((low, high), (0.9, 1.2));
            }
            other => panic!("expected stuck, got {other:?}"),
        }
    }

    #[test]
    fn constant_tail_is_convergence() {
        assert_eq!(
            verdict(&[0.0, 0.5, 1.0, 1.0, 1.0]),
            Verdict::Converged { step: 3, w: 1.0 }
        );
    }

    #[test]
    fn aperiodic_tail_has_no_cycle() {
        let w: Vec<f64> = (0..40).map(|i| f64::from(i).sin()).collect();
        assert!(matches!(verdict(&w), Verdict::Stuck { cycle, .. } if cycle.is_empty()));
    }
}
