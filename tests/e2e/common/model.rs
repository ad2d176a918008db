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
