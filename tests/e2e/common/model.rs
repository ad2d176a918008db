//! What the model tests share: a failed run and its steps, and shrinking a
//! failing sequence to the shortest one that still fails.

use std::fmt::Debug;
use std::future::Future;

/// Why a run failed: what each step did, then what went wrong.
#[derive(Debug)]
pub struct Failure {
    pub log: Vec<String>,
    pub what: String,
}

impl Failure {
    /// The report a test panics with: `header`, the shortest sequence, the
    /// steps it took, and what went wrong.
    pub fn report(&self, header: &str, shortest: &[impl Debug]) -> String {
        let listed: String = self.log.iter().enumerate().map(|(i, s)| format!("  {i}. {s}\n")).collect();
        format!("{header}; shrunk to {} steps {shortest:?}:\n{listed}{}", shortest.len(), self.what)
    }
}

/// The shortest sub-sequence of `steps` that still fails under `run`
/// (removing one step at a time while the run keeps failing), with its
/// failure.
pub async fn shrink<S, F, Fut>(mut steps: Vec<S>, mut failure: Failure, run: F) -> (Vec<S>, Failure)
where
    S: Clone,
    F: Fn(Vec<S>) -> Fut,
    Fut: Future<Output = Result<(), Failure>>,
{
    let mut i = 0;
    while i < steps.len() {
        let mut shorter = steps.clone();
        shorter.remove(i);
        match Box::pin(run(shorter.clone())).await {
            Err(f) => {
                steps = shorter;
                failure = f;
            }
            Ok(()) => i += 1,
        }
    }
    (steps, failure)
}

/// How a model test runs: its name, the prefix of its environment
/// variables (`MODEL` reads `MODEL_SEED`, `MODEL_RUNS`, `MODEL_STEPS`) and
/// their defaults (one run).
pub struct Drive {
    pub name: &'static str,
    pub prefix: &'static str,
    pub seed: u64,
    pub steps: u64,
}

/// Runs `<prefix>_RUNS` sequences of `<prefix>_STEPS` steps, each from
/// `generate(seed, length)` with the seeds following `<prefix>_SEED`; the
/// first that fails is shrunk and reported with its seed.
pub async fn drive<S, G, F, Fut>(d: Drive, generate: G, run: F)
where
    S: Clone + Debug,
    G: Fn(u64, u64) -> Vec<S>,
    F: Fn(Vec<S>) -> Fut,
    Fut: Future<Output = Result<(), Failure>>,
{
    let var = |what: &str| format!("{}_{what}", d.prefix);
    let seed = super::env_number(&var("SEED"), d.seed);
    let runs = super::env_number(&var("RUNS"), 1);
    let length = super::env_number(&var("STEPS"), d.steps);
    assert!(runs > 0 && length > 0, "{} and {} must be positive", var("RUNS"), var("STEPS"));
    for r in 0..runs {
        let seed = seed.wrapping_add(r * 7919);
        let steps = generate(seed, length);
        assert_eq!(steps.len() as u64, length);
        if let Err(failure) = run(steps.clone()).await {
            let (shortest, failure) = shrink(steps, failure, &run).await;
            let header = format!("{} failed ({}={seed}, {}={length})", d.name, var("SEED"), var("STEPS"));
            panic!("{}", failure.report(&header, &shortest));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_failing_sequence_shrinks_to_the_steps_that_make_it_fail() {
        let run = |steps: Vec<u32>| async move {
            if steps.contains(&3) && steps.contains(&7) {
                Err(Failure { log: steps.iter().map(ToString::to_string).collect(), what: "3 and 7".into() })
            } else {
                Ok(())
            }
        };
        let steps = vec![1, 3, 5, 7, 9];
        let first = run(steps.clone()).await.expect_err("the whole sequence fails");
        let (shortest, failure) = shrink(steps, first, run).await;
        assert_eq!(shortest, [3, 7]);
        assert_eq!(failure.log, ["3", "7"]);
        assert!(failure.report("header", &shortest).starts_with("header; shrunk to 2 steps [3, 7]"));
    }
}
