//! `gradbook::compute::chacha::ChaCha8` against `rand_chacha::ChaCha8Rng`: the same words for
//! every seed tried, every way of drawing them, and across seeks.

use gradbook::compute::chacha::{BlockFunction, ChaCha8, REFILL};
use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Seeds worth trying: the edges, small counts, and a spread of others.
fn seeds() -> Vec<u64> {
    let mut s = vec![0, 1, 2, 42, u64::MAX, u64::MAX - 1, 1 << 32, 1 << 63];
    s.extend(1..=40);
    let mut x = 0x9E37_79B9_7F4A_7C15_u64;
    s.extend((0..200).map(|_| {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        x
    }));
    s
}

/// Ours with every block function this machine runs, each beside `rand_chacha`'s.
fn pairs(seed: u64) -> Vec<(ChaCha8, ChaCha8Rng)> {
    BlockFunction::available()
        .into_iter()
        .map(|f| {
            let ours = ChaCha8::seed_from_u64(seed)
                .with_block_function(f)
                .expect("an available block function");
            (ours, ChaCha8Rng::seed_from_u64(seed))
        })
        .collect()
}

/// One way of drawing from a generator; both sides must give equal values.
#[derive(Clone, Copy, Debug)]
enum Draw {
    U32,
    U64,
    F64,
    Bool,
    Bytes(usize),
    /// `ChaCha8::next_words` against as many `next_u32` calls.
    Words,
}

fn draw(ours: &mut ChaCha8, theirs: &mut ChaCha8Rng, how: Draw) {
    match how {
        Draw::U32 => assert_eq!(ours.next_u32(), theirs.next_u32()),
        Draw::U64 => assert_eq!(ours.next_u64(), theirs.next_u64()),
        Draw::F64 => assert_eq!(
            ours.random::<f64>().to_bits(),
            theirs.random::<f64>().to_bits()
        ),
        Draw::Bool => assert_eq!(ours.random::<bool>(), theirs.random::<bool>()),
        Draw::Bytes(n) => {
            let (mut a, mut b) = (vec![0; n], vec![0; n]);
            ours.fill_bytes(&mut a);
            theirs.fill_bytes(&mut b);
            assert_eq!(a, b);
        }
        Draw::Words => {
            let mut a = [0; REFILL];
            ours.next_words(&mut a);
            let b: Vec<u32> = (0..REFILL).map(|_| theirs.next_u32()).collect();
            assert_eq!(a[..], b[..]);
        }
    }
}

#[test]
fn long_runs_of_each_kind_of_draw_match() {
    for seed in [0, u64::MAX, 7] {
        for how in [Draw::U32, Draw::U64, Draw::F64, Draw::Bool] {
            for (mut ours, mut theirs) in pairs(seed) {
                let f = ours.block_function();
                for _ in 0..100_000 {
                    draw(&mut ours, &mut theirs, how);
                }
                let at = (ours.get_word_pos(), theirs.get_word_pos());
                assert_eq!(at.0, at.1, "{seed} {how:?} {f:?}");
            }
        }
    }
}

#[test]
fn short_runs_match_for_hundreds_of_seeds() {
    for seed in seeds() {
        for how in [
            Draw::U32,
            Draw::U64,
            Draw::F64,
            Draw::Bool,
            Draw::Bytes(7),
            Draw::Words,
        ] {
            for (mut ours, mut theirs) in pairs(seed) {
                for _ in 0..600 {
                    draw(&mut ours, &mut theirs, how);
                }
            }
        }
    }
}

/// Mixes chosen by a third generator, so u64 draws and byte fills straddle the buffer's end
/// at every offset.
fn mixed(ours: &mut ChaCha8, theirs: &mut ChaCha8Rng, chooser: &mut ChaCha8Rng, n: usize) {
    for _ in 0..n {
        let how = match chooser.random_range(0..7) {
            0 => Draw::U32,
            1 => Draw::U64,
            2 => Draw::F64,
            3 => Draw::Bool,
            4 => Draw::Words,
            _ => Draw::Bytes(chooser.random_range(0..70)),
        };
        draw(ours, theirs, how);
    }
}

#[test]
fn irregular_mixes_match() {
    let mut chooser = ChaCha8Rng::seed_from_u64(12345);
    for seed in seeds() {
        for (mut ours, mut theirs) in pairs(seed) {
            mixed(&mut ours, &mut theirs, &mut chooser, 1_000);
            assert_eq!(ours.get_word_pos(), theirs.get_word_pos(), "seed {seed}");
        }
    }
    for (mut ours, mut theirs) in pairs(3) {
        mixed(&mut ours, &mut theirs, &mut chooser, 100_000);
    }
}

#[test]
fn from_seed_matches() {
    let seed: [u8; 32] = std::array::from_fn(|i| (i * 37 + 11) as u8);
    for f in BlockFunction::available() {
        let mut ours = ChaCha8::from_seed(seed)
            .with_block_function(f)
            .expect("an available block function");
        let mut theirs = ChaCha8Rng::from_seed(seed);
        for _ in 0..10_000 {
            assert_eq!(ours.next_u64(), theirs.next_u64(), "{f:?}");
        }
    }
}

#[test]
fn seeking_matches_across_the_counter_words_and_the_end_of_the_stream() {
    let block = |b: u64| u128::from(b) * 16;
    let positions = [
        0,
        5,
        block(u32::MAX as u64) - 3,
        block(u32::MAX as u64 - 7) + 9,
        block(1 << 32) - 100,
        block(u64::MAX - 20) + 1,
        block(u64::MAX) + 15,
        (1 << 68) - 1,
        (1 << 68) + 17,
        u128::MAX,
    ];
    let mut chooser = ChaCha8Rng::seed_from_u64(99);
    for seed in [0, 1, u64::MAX] {
        for &at in &positions {
            for (mut ours, mut theirs) in pairs(seed) {
                ours.set_word_pos(at);
                theirs.set_word_pos(at);
                assert_eq!(ours.get_word_pos(), theirs.get_word_pos(), "at {at}");
                mixed(&mut ours, &mut theirs, &mut chooser, 2_000);
                assert_eq!(ours.get_word_pos(), theirs.get_word_pos(), "after {at}");
            }
        }
    }
    // Seeking back after drawing gives the same words again.
    for (mut ours, mut theirs) in pairs(5) {
        ours.set_word_pos(block(u32::MAX as u64));
        let first: Vec<u32> = (0..1000).map(|_| ours.next_u32()).collect();
        ours.set_word_pos(block(u32::MAX as u64));
        theirs.set_word_pos(block(u32::MAX as u64));
        for w in first {
            assert_eq!(w, theirs.next_u32());
            assert_eq!(w, ours.next_u32());
        }
    }
}

#[test]
fn clones_continue_the_same_stream() {
    for (mut ours, mut theirs) in pairs(8) {
        let mut chooser = ChaCha8Rng::seed_from_u64(1);
        mixed(&mut ours, &mut theirs, &mut chooser, 333);
        let mut copy = ours.clone();
        for _ in 0..1000 {
            let w = theirs.next_u64();
            assert_eq!(ours.next_u64(), w);
            assert_eq!(copy.next_u64(), w);
        }
    }
}

#[test]
fn switching_block_functions_midway_continues_the_stream() {
    // Every order of every available function, switched at irregular places.
    let functions = BlockFunction::available();
    let mut chooser = ChaCha8Rng::seed_from_u64(77);
    for (mut ours, mut theirs) in pairs(21) {
        for round in 0..40 {
            let f = functions[chooser.random_range(0..functions.len())];
            ours = ours.with_block_function(f).expect("available");
            mixed(&mut ours, &mut theirs, &mut chooser, 150);
            assert_eq!(ours.get_word_pos(), theirs.get_word_pos(), "round {round}");
        }
    }
}

#[test]
fn generators_take_the_fastest_block_function_this_machine_runs() {
    // A build or refactor that silently lost the fast path would still pass every test above.
    let f = ChaCha8::seed_from_u64(0).block_function();
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f") {
            assert_eq!(f, BlockFunction::Avx512);
            return;
        }
        if is_x86_feature_detected!("avx2") {
            assert_eq!(f, BlockFunction::Avx2);
            return;
        }
    }
    assert_eq!(f, BlockFunction::Portable);
}

#[test]
fn a_block_function_this_machine_lacks_is_refused() {
    let available = BlockFunction::available();
    assert_eq!(available.last(), Some(&BlockFunction::Portable));
    for f in [
        BlockFunction::Avx512,
        BlockFunction::Avx2,
        BlockFunction::Portable,
    ] {
        let switched = ChaCha8::seed_from_u64(1).with_block_function(f);
        assert_eq!(switched.is_some(), available.contains(&f), "{f:?}");
    }
}
