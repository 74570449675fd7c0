//! Generated identifiers: client ids, secrets and request ids.

use std::sync::Mutex;

use rand::rngs::{SmallRng, StdRng};
use rand::{Rng, SeedableRng};

const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// Length of generated client ids and secrets, as in every real example.
pub const CLIENT_TOKEN_LEN: usize = 32;

/// Length of the legacy envelope's `request_id`.
pub const REQUEST_ID_LEN: usize = 16;

/// Makes random tokens of `[a-z0-9]`.
///
/// Seeded from the operating system (the default), every thread draws from its own
/// cryptographically secure generator (`rand`'s thread generator: ChaCha, reseeded from the
/// operating system), so that requests on different threads never wait for one another to draw
/// an id. Seeded from a number (`--seed`), one `StdRng` (also ChaCha) behind a lock makes every
/// run of the same requests give the same values, drawn exactly as every earlier version drew
/// them.
#[derive(Debug)]
pub struct IdGenerator(Source);

#[derive(Debug)]
enum Source {
    Entropy,
    Seeded(Box<Mutex<StdRng>>),
}

impl IdGenerator {
    /// A generator seeded from the operating system's entropy.
    pub fn from_entropy() -> Self {
        Self(Source::Entropy)
    }

    /// A generator that yields the same sequence for the same `seed`.
    pub fn seeded(seed: u64) -> Self {
        Self(Source::Seeded(Box::new(Mutex::new(StdRng::seed_from_u64(
            seed,
        )))))
    }

    /// Seeded from `seed` if there is one, from the operating system otherwise.
    pub fn for_seed(seed: Option<u64>) -> Self {
        seed.map_or_else(Self::from_entropy, Self::seeded)
    }

    /// A token of `len` characters from `[a-z0-9]`, uniformly drawn.
    pub fn token(&self, len: usize) -> String {
        match &self.0 {
            Source::Entropy => unseeded_token(len),
            Source::Seeded(rng) => {
                let mut rng = rng.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                draw(&mut *rng, len)
            }
        }
    }

    /// A new client id or secret.
    pub fn client_token(&self) -> String {
        self.token(CLIENT_TOKEN_LEN)
    }

    /// A new request id. Unseeded, it comes from a fast generator of the thread's own (seeded
    /// from its secure one): a request id names a request, it guards nothing.
    pub fn request_id(&self) -> String {
        match &self.0 {
            Source::Entropy => REQUEST_IDS.with_borrow_mut(|rng| draw_bytes(rng, REQUEST_ID_LEN)),
            Source::Seeded(_) => self.token(REQUEST_ID_LEN),
        }
    }
}

thread_local! {
    /// The generator of this thread's request ids, when no seed is given.
    static REQUEST_IDS: std::cell::RefCell<SmallRng> =
        std::cell::RefCell::new(SmallRng::from_rng(&mut rand::rng()));
}

/// A token from the thread's own generator.
pub fn unseeded_token(len: usize) -> String {
    draw_bytes(&mut rand::rng(), len)
}

/// The draw of a seeded generator: one uniform index per character. Kept as it is, so that a
/// seed gives the ids and secrets it always gave.
fn draw(rng: &mut impl Rng, len: usize) -> String {
    let bytes: Vec<u8> = (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())])
        .collect();
    // The alphabet is ASCII.
    String::from_utf8(bytes).unwrap_or_default()
}

/// The largest multiple of the alphabet's size that a byte can hold: a byte below it, taken
/// modulo 36, is uniform over the alphabet; a byte at or above it (4 of 256) is drawn again.
const UNBIASED_BELOW: u8 = (256 / ALPHABET.len() * ALPHABET.len()) as u8;

/// The character each byte stands for, or 0 for the bytes at or above [`UNBIASED_BELOW`].
const CHARACTER_OF: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < UNBIASED_BELOW as usize {
        table[byte] = ALPHABET[byte % ALPHABET.len()];
        byte += 1;
    }
    table
};

/// The draw of an unseeded generator: random bytes a block at a time, one byte per character
/// through [`CHARACTER_OF`], the few that would bias the draw skipped.
///
/// **Speed machinery, kept by measurement** (docs/benchmarks.md, "Tokens drawn a uniform index
/// at a time"): every request draws a request id; drawn as the seeded generator draws, the
/// readiness probe costs 2.5% more and 16% more than the figures the rule started from.
fn draw_bytes(rng: &mut impl Rng, len: usize) -> String {
    const BLOCK: usize = 64;
    // Room for a whole block past the end, so that each byte is written before it is judged:
    // on the stack for the emulator's own tokens (16 to 32 characters), so that the token itself
    // is allocated once, at its size (a secret is kept as drawn).
    let mut stack = [0u8; 2 * BLOCK];
    let mut heap = Vec::new();
    let room: &mut [u8] = if len <= BLOCK {
        &mut stack
    } else {
        heap.resize(len + BLOCK, 0);
        &mut heap
    };
    let mut filled = 0;
    let mut block = [0u8; BLOCK];
    while filled < len {
        // A few more bytes than characters still wanted: about 1 in 64 is skipped.
        let want = (len - filled + 4).min(BLOCK);
        rng.fill_bytes(&mut block[..want]);
        for byte in &block[..want] {
            let character = CHARACTER_OF[usize::from(*byte)];
            room[filled] = character;
            filled += usize::from(character != 0);
        }
    }
    // The alphabet is ASCII.
    String::from_utf8(room[..len].to_vec()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first request id of `--seed 7`, as every version so far has drawn it.
    const SEVEN_FIRST_REQUEST_ID: &str = "obflcfxtwj08vg0j";

    #[test]
    fn tokens_have_the_documented_shape() {
        let ids = IdGenerator::from_entropy();
        let token = ids.client_token();
        assert_eq!(token.len(), 32);
        assert!(token.bytes().all(|b| ALPHABET.contains(&b)));
        assert_ne!(token, ids.client_token());
        let request_id = ids.request_id();
        assert_eq!(request_id.len(), 16);
        assert!(request_id.bytes().all(|b| ALPHABET.contains(&b)));
        assert_ne!(request_id, ids.request_id());
    }

    #[test]
    fn a_seed_draws_what_it_always_drew() {
        // `--seed` promises reproducible runs; a change of how tokens are drawn would change
        // every id and secret a seeded suite may have written down.
        let ids = IdGenerator::seeded(7);
        assert_eq!(ids.request_id(), SEVEN_FIRST_REQUEST_ID);
    }

    #[test]
    fn unseeded_tokens_cover_the_alphabet_evenly() {
        // 360,000 characters: each of the 36 expected 10,000 times, give or take 100. A byte taken
        // modulo 36 without dropping the top four values would give `a` to `d` 11,250 times
        // each and the others 9,844: both outside these bounds.
        let mut counts = [0usize; 36];
        for _ in 0..11_250 {
            for byte in unseeded_token(CLIENT_TOKEN_LEN).bytes() {
                let at = ALPHABET.iter().position(|c| *c == byte);
                counts[at.expect("a character of the alphabet")] += 1;
            }
        }
        assert!(
            counts.iter().all(|n| (9_500..=10_500).contains(n)),
            "{counts:?}"
        );
        assert_eq!(unseeded_token(0), "");
        assert_eq!(unseeded_token(200).len(), 200);
    }

    #[test]
    fn the_byte_draw_drops_the_bytes_that_would_bias_it() {
        // A generator that yields only 255s, then only 0s: the 255s are all dropped.
        struct Stuck(u32);
        impl rand::RngCore for Stuck {
            fn next_u32(&mut self) -> u32 {
                self.next_u64() as u32
            }
            fn next_u64(&mut self) -> u64 {
                0
            }
            fn fill_bytes(&mut self, dest: &mut [u8]) {
                let byte = if self.0 > 0 { 255 } else { 0 };
                self.0 = self.0.saturating_sub(1);
                dest.fill(byte);
            }
        }
        assert_eq!(draw_bytes(&mut Stuck(3), 5), "aaaaa");
        assert_eq!(UNBIASED_BELOW, 252);
    }

    #[test]
    fn a_seed_repeats_its_sequence() {
        let (a, b) = (IdGenerator::seeded(7), IdGenerator::seeded(7));
        assert_eq!(a.client_token(), b.client_token());
        assert_ne!(a.client_token(), IdGenerator::seeded(8).client_token());
    }
}
