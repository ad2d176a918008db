//! A small xorshift generator for the random sequences of the model and
//! soak tests: the same seed gives the same sequence, on every machine.

pub struct Rng(pub u64);

impl Rng {
    /// A generator for `seed` (0 would stay 0 forever, so it is moved off it).
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

/// A seed from the environment variable `name`, else `default`, and how
/// many of something (`runs`, `steps`) from theirs.
pub fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}
