//! The Q2 study: every run, threshold and sweep the chapter uses, from one settings file.

use super::StepError;
use super::adam::Adam;
use super::closed_form::{AdamParams, adam_threshold};
use super::derivation::derive;
use super::escape::{bisect, supremum};
use super::exact::{self, ExactInputs, ExactThreshold};
use super::gd::GradientDescent;
use super::landscape::Bump;
use super::momentum::Momentum;
use super::result::{
    AdamResult, GdResult, LandscapeResult, MomentumResult, StudyResult, Threshold, TurningBack,
};
use super::settings::{Question, Settings};
use super::trajectory::{Verdict, simulate};

/// Relative difference |a − b| / max(|a|, |b|), 0 when both are 0.
pub fn relative_difference(a: f64, b: f64) -> f64 {
    let scale = a.abs().max(b.abs());
    if scale == 0.0 {
        0.0
    } else {
        (a - b).abs() / scale
    }
}

/// Adam with the settings' hyper-parameters and step size `alpha`, `beta1`.
pub(super) fn adam_with(settings: &Settings, alpha: f64, beta1: f64) -> Adam {
    Adam::new(alpha, beta1, settings.adam.beta2, settings.adam.epsilon)
}

/// Run the whole study; `exact` holds the settings read as exact decimals, when they are.
pub fn run(settings: &Settings, exact: Option<&ExactInputs>) -> Result<StudyResult, StepError> {
    let bump = settings.bump();
    let h = settings.landscape.h;
    let landscape = bump.landscape(h).ok_or(StepError::BadLandscape)?;
    let peak = bump.peak(h);
    let (steps, horizon) = (settings.run.steps, settings.run.horizon);
    let alpha = settings.alpha();

    let gd_run = simulate(
        &mut GradientDescent { a: settings.gd.a },
        &landscape,
        Some(peak),
        bump.start,
        steps,
        false,
    )?;
    let k = gd_run
        .w
        .iter()
        .position(|&w| w >= bump.l)
        .unwrap_or(gd_run.w.len() - 1);
    let (stuck, cycle) = match &gd_run.verdict {
        Verdict::Stuck { cycle, .. } => (true, cycle.clone()),
        Verdict::Converged { .. } => (true, Vec::new()),
        _ => (false, Vec::new()),
    };
    let gd_h_max = if settings.asks(Question::GdStuck) {
        Some(supremum(GradientDescent { a: settings.gd.a }, &bump, horizon)?.h_max)
    } else {
        None
    };
    let gd = GdResult {
        a: settings.gd.a,
        w_k: gd_run.w[k],
        run: gd_run,
        stuck,
        cycle,
        k,
        h_max: gd_h_max,
        stuck_for_every_h_above_a: gd_h_max.map(|x| x <= settings.gd.a),
    };

    let adam_run = simulate(
        &mut adam_with(settings, alpha, settings.adam.beta1),
        &landscape,
        Some(peak),
        bump.start,
        steps,
        false,
    )?;
    let escape_step = match adam_run.verdict {
        Verdict::Escaped { step } => Some(step),
        _ => None,
    };
    // The threshold (its bisection runs one after another), the sweeps and the bias
    // correction's runs are independent: run them side by side. Errors are still reported
    // in this order.
    let (threshold, (sweeps, bias_correction)) = rayon::join(
        || {
            settings
                .asks(Question::AdamThreshold)
                .then(|| threshold(settings, &bump, exact))
                .transpose()
        },
        || {
            rayon::join(
                || {
                    if settings.asks(Question::Sweeps) {
                        super::sweep::sweeps(settings, &bump)
                    } else {
                        Ok((Vec::new(), Vec::new()))
                    }
                },
                || {
                    settings
                        .asks(Question::BiasCorrection)
                        .then(|| super::sweep::bias_correction(settings, &bump))
                        .transpose()
                },
            )
        },
    );
    let threshold = threshold?;
    let adam = AdamResult {
        alpha,
        beta1: settings.adam.beta1,
        beta2: settings.adam.beta2,
        epsilon: settings.adam.epsilon,
        run: adam_run,
        escapes: escape_step.is_some(),
        escape_step,
        h_max: threshold.as_ref().map(|t| t.h_max_supremum),
        threshold,
    };

    let momentum = if settings.asks(Question::Momentum) {
        let make = || Momentum::new(settings.momentum_a(), settings.momentum.mu);
        let run = simulate(
            &mut make(),
            &landscape,
            Some(peak),
            bump.start,
            steps,
            false,
        )?;
        let tall = supremum(make(), &bump, horizon)?;
        let escape_step = match run.verdict {
            Verdict::Escaped { step } => Some(step),
            _ => None,
        };
        let last = escape_step.unwrap_or(run.steps.len());
        let (longest_step_t, longest_step) = (1..=last)
            .map(|t| (t, (run.w[t] - run.w[t - 1]).abs()))
            .fold(
                (0, 0.0),
                |best, (t, d)| if d > best.1 { (t, d) } else { best },
            );
        let k = run.w.iter().position(|&w| w >= bump.l).unwrap_or(0);
        let descent_steps = (1..=k).map(|t| (run.w[t] - run.w[t - 1]).abs()).collect();
        Some(MomentumResult {
            a: settings.momentum_a(),
            mu: settings.momentum.mu,
            k,
            descent_steps,
            escape_step,
            longest_step,
            longest_step_t,
            w_max: tall.w_max,
            w_max_step: tall.step,
            run,
            escapes: escape_step.is_some(),
            h_max: tall.h_max,
        })
    } else {
        None
    };
    let (sweep_alpha, sweep_beta1) = sweeps?;
    let bias_correction = bias_correction?.map(|mut b| {
        b.example = super::sweep::small_alpha_example(&sweep_alpha, &b, &bump);
        b
    });
    let landscape = LandscapeResult {
        bump,
        h,
        peak,
        end: bump.end(h),
        kink_rule: bump.kink.describe().to_string(),
        tail_reading: settings.landscape.tail_reading.clone(),
        curve: curve(&bump, h),
        slope_cases: super::derivation::slope_cases(&bump),
    };
    // Boxed so that an `Outcome` stays small whichever computation it holds.
    Ok(StudyResult {
        questions: settings.questions.clone(),
        landscape: Box::new(landscape),
        gd: Box::new(gd),
        adam: Box::new(adam),
        momentum: momentum.map(Box::new),
        bias_correction: bias_correction.map(Box::new),
        sweep_alpha,
        sweep_beta1,
    })
}

/// The loss's vertices from the start to `end + (end − start)/2`.
fn curve(bump: &Bump, h: f64) -> Vec<[f64; 2]> {
    let end = bump.end(h);
    let last = end + (end - bump.start) / 2.0;
    let tail = bump.tail_slope * (last - end);
    vec![
        [bump.start, -bump.descent_slope * (bump.l - bump.start)],
        [bump.l, 0.0],
        [bump.peak(h), h],
        [end, 0.0],
        [last, tail],
    ]
}

/// The threshold in closed form (exact and f64) and by two simulations, for the settings' Adam.
fn threshold(
    settings: &Settings,
    bump: &Bump,
    exact_inputs: Option<&ExactInputs>,
) -> Result<Threshold, StepError> {
    let (alpha, beta1) = (settings.alpha(), settings.adam.beta1);
    let params = AdamParams {
        alpha,
        beta1,
        beta2: settings.adam.beta2,
        epsilon: settings.adam.epsilon,
    };
    let horizon = settings.run.horizon;
    let closed_form = adam_threshold(params, bump);
    let (sup, bisection) = rayon::join(
        || supremum(adam_with(settings, alpha, beta1), bump, horizon),
        || bisect(|| adam_with(settings, alpha, beta1), bump, horizon),
    );
    let (sup, bisection) = (sup?, bisection?);
    let attained = escapes_at(settings, bump, sup.h_max);
    let values = [closed_form.h_max, bisection.h_escapes, sup.h_max];
    let max_relative_difference = values
        .iter()
        .flat_map(|a| values.iter().map(move |b| relative_difference(*a, *b)))
        .fold(0.0, f64::max);
    let exact_form = exact_inputs
        .ok_or_else(|| "a setting of the closed form is not a plain decimal".to_string())
        .and_then(|x| exact::closed_form(x).map_err(|e| e.to_string()));
    let derivation = derive(params, bump, &closed_form, exact_form.as_ref().ok());
    let exact = exact_form.as_ref().ok().map(ExactThreshold::of);
    let versus = |h: f64| exact.as_ref().map(|e| relative_difference(h, e.value));
    let turning_back = turning_back(settings, bump, sup.h_max)?;
    Ok(Threshold {
        bisection_vs_exact: versus(bisection.h_escapes),
        supremum_vs_exact: versus(sup.h_max),
        exact,
        exact_unavailable: exact_form.err(),
        turning_back,
        h_max_closed_form: closed_form.h_max,
        h_max_bisection: bisection.h_escapes,
        h_max_supremum: sup.h_max,
        max_relative_difference,
        h_max_attained: attained?,
        decisive_step: sup.step,
        decisive_w: sup.w_max,
        closed_form,
        bisection,
        supremum: sup,
        derivation,
    })
}

/// Adam on a bump just taller than `h_max`: `h_max` rounded up at its 4th significant digit.
fn turning_back(settings: &Settings, bump: &Bump, h_max: f64) -> Result<TurningBack, StepError> {
    let digits = |x: f64| crate::format::num(x, 4).parse::<f64>().unwrap_or(x);
    let mut h = digits(h_max);
    if h_max <= 0.0 || !h_max.is_finite() {
        // Nothing is escaped: any bump turns Adam back; show the plotted one.
        h = settings.landscape.h;
    } else if h <= h_max {
        let unit = 10f64.powf(h_max.abs().log10().floor() - 3.0);
        h = digits(h + unit);
    }
    let landscape = bump.landscape(h).ok_or(StepError::BadLandscape)?;
    let mut adam = adam_with(settings, settings.alpha(), settings.adam.beta1);
    let run = simulate(
        &mut adam,
        &landscape,
        Some(bump.peak(h)),
        bump.start,
        settings.run.steps,
        false,
    )?;
    let turn_step = (1..run.w.len()).find(|&t| run.w[t] < run.w[t - 1]);
    Ok(TurningBack {
        h,
        escapes: matches!(run.verdict, Verdict::Escaped { .. }),
        turn_step,
        run,
    })
}

/// Whether the settings' Adam escapes a bump of height `h` within the horizon.
fn escapes_at(settings: &Settings, bump: &Bump, h: f64) -> Result<bool, StepError> {
    let Some(landscape) = bump.landscape(h) else {
        return Ok(true);
    };
    let mut adam = adam_with(settings, settings.alpha(), settings.adam.beta1);
    let run = simulate(
        &mut adam,
        &landscape,
        Some(bump.peak(h)),
        bump.start,
        settings.run.horizon,
        true,
    )?;
    Ok(matches!(run.verdict, Verdict::Escaped { .. }))
}
