//! The exponential function the samplers draw log-normal values with, computed here rather
//! than by the platform's maths library.
//!
//! It is the method of glibc (2.28 on) and musl: x = k ln2/128 + r with |r| ≤ ln2/256, a table
//! of 2^(k/128) as a double and a correction (`table.rs`, made by `scripts/exp-table.py`), and a
//! degree-5 polynomial for e^r; the result is within 0.52 ulp. It costs about two thirds of
//! the library call's instructions (no call through the PLT, no `errno` wrapper) and, written
//! without fused multiply-adds, gives the same bits wherever it runs. glibc's own `exp` uses
//! fused multiply-adds where the processor has them, so the two can differ in the last bit;
//! with that variant switched off they agree on every argument tried (10 million). A last-bit
//! difference reaches a report only when it decides how a drawn time rounds to a nanosecond
//! or a drawn count to a token.
//!
//! Arguments outside [2^-54, 512) in magnitude (and NaN) go to the platform's `exp`.
//! It decides nothing about distributions; it computes e^x.

mod table;

use table::TABLE;

/// 128 / ln 2.
const INV_LN2_N: f64 = f64::from_bits(0x4067_1547_652b_82fe);
/// 1.5 × 2^52: adding it rounds to an integer kept in the low bits.
const SHIFT: f64 = f64::from_bits(0x4338_0000_0000_0000);
/// −ln 2 / 128, split in a high part with trailing zero bits and the rest.
const NEG_LN2_HI_N: f64 = f64::from_bits(0xbf76_2e42_fefa_0000);
const NEG_LN2_LO_N: f64 = f64::from_bits(0xbd0c_f79a_bc9e_3b3a);
/// e^r − 1 − r ≈ C2 r² + C3 r³ + C4 r⁴ + C5 r⁵ on |r| ≤ ln2/256.
const C2: f64 = f64::from_bits(0x3fdf_ffff_ffff_fdbd);
const C3: f64 = f64::from_bits(0x3fc5_5555_5555_543c);
const C4: f64 = f64::from_bits(0x3fa5_5555_cf17_2b91);
const C5: f64 = f64::from_bits(0x3f81_1111_67a4_d017);

/// The exponent field of 2^-54 and of 512.
const TOP_TINY: u64 = 0x3c9;
const TOP_LARGE: u64 = 0x408;

/// e^x.
#[inline]
pub fn exp(x: f64) -> f64 {
    let top = (x.to_bits() >> 52) & 0x7ff;
    if top.wrapping_sub(TOP_TINY) >= TOP_LARGE - TOP_TINY {
        return x.exp();
    }
    // x = k ln2/128 + r: k from rounding x · 128/ln2 to an integer.
    let kd = INV_LN2_N * x + SHIFT;
    let k = kd.to_bits();
    let kd = kd - SHIFT;
    let r = x + kd * NEG_LN2_HI_N + kd * NEG_LN2_LO_N;
    // 2^(k/128) = 2^(k >> 7) · 2^((k mod 128)/128) ≈ scale · (1 + tail).
    let i = 2 * (k % 128) as usize;
    let tail = f64::from_bits(TABLE[i]);
    let scale = f64::from_bits(TABLE[i + 1].wrapping_add(k << 45));
    let r2 = r * r;
    let tmp = tail + r + r2 * (C2 + r * C3) + r2 * r2 * (C4 + r * C5);
    scale + scale * tmp
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Units in the last place between two finite positive doubles.
    fn ulps(a: f64, b: f64) -> u64 {
        a.to_bits().abs_diff(b.to_bits())
    }

    #[test]
    fn the_table_holds_two_to_the_k_over_128() {
        for k in 0..128u64 {
            let tail = f64::from_bits(TABLE[2 * k as usize]);
            let h = f64::from_bits(TABLE[2 * k as usize + 1].wrapping_add(k << 45));
            let want = (k as f64 / 128.0).exp2();
            assert!(ulps(h, want) <= 1, "2^({k}/128): {h} against {want}");
            assert!(
                tail.abs() <= f64::EPSILON,
                "the correction of {k} is below an ulp"
            );
        }
        assert_eq!(TABLE[0], 0);
        assert_eq!(TABLE[1], 1f64.to_bits());
    }

    #[test]
    fn exact_and_edge_values() {
        assert_eq!(exp(1.0), std::f64::consts::E);
        assert_eq!(exp(std::f64::consts::LN_2), 2.0);
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-0.0), 1.0);
        assert_eq!(exp(1e-300), 1.0);
        assert_eq!(exp(-1000.0), 0.0);
        assert_eq!(exp(1000.0), f64::INFINITY);
        assert!(exp(f64::NAN).is_nan());
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        // Both sides of the table path's bounds.
        for x in [
            511.999,
            -511.999,
            512.0,
            -512.0,
            2f64.powi(-54),
            2f64.powi(-53),
        ] {
            assert!(ulps(exp(x), x.exp()) <= 1, "{x}");
        }
    }

    /// Bit for bit the platform's `exp` on ten million arguments. It holds where the platform's
    /// `exp` is glibc's without fused multiply-adds, so it is not run by default:
    /// `GLIBC_TUNABLES=glibc.cpu.hwcaps=-FMA cargo test --release --lib sim::exp -- --ignored`.
    #[test]
    #[ignore = "holds only for glibc's exp with its FMA variant switched off"]
    fn the_same_bits_as_glibc_without_fused_multiply_adds() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut differ = 0;
        for i in 0..10_000_000u64 {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let unit = (state >> 11) as f64 / (1u64 << 53) as f64;
            let x = match i % 3 {
                0 => unit * 24.0 - 12.0,
                1 => unit * 1400.0 - 700.0,
                _ => unit * 0.02 - 0.01,
            };
            differ += u32::from(exp(x).to_bits() != x.exp().to_bits());
        }
        assert_eq!(differ, 0, "arguments whose e^x differs from the platform's");
    }

    proptest::proptest! {
        /// Within an ulp of the platform's `exp` wherever a log-normal draw's argument falls,
        /// and beyond.
        #[test]
        fn within_an_ulp_of_the_platform(x in -700.0f64..700.0, small in -1.0f64..1.0) {
            for x in [x, small, small * 1e-10] {
                let (ours, platform) = (exp(x), x.exp());
                proptest::prop_assert!(ulps(ours, platform) <= 1, "{} against {}", ours, platform);
            }
        }
    }
}
